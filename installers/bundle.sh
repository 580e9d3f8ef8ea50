#!/usr/bin/env bash
# `make bundle`: the one-folder PyInstaller build of Symbiote, packed as a tarball with
# install.sh, the desktop entry and the icon. Outputs: build/ (PyInstaller's work), dist/symbiote/
# (the bundle), dist/symbiote-VERSION-linux-x86_64.tar.gz.
#
# SYMBIOTE_BUNDLE_KB=1 also bundles the knowledge base (torch, sentence-transformers, MiniLM,
# a portable hnswlib): output in dist/kb/ instead. installers/README.md says what it costs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
CACHE="${SYMBIOTE_CACHE:-$HOME/.cache/symbiote}"
KB="${SYMBIOTE_BUNDLE_KB:-0}"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml" | head -n1)"
DIST="$ROOT/dist"; WORK="$ROOT/build"; SUFFIX=""
[ "$KB" = 1 ] && { DIST="$ROOT/dist/kb"; WORK="$ROOT/build/kb"; SUFFIX="-kb"; }
NAME="symbiote-$VERSION-linux-x86_64$SUFFIX"
PIP=("$PY" -m pip install --disable-pip-version-check -q)

say() { printf '\033[1m[bundle]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[bundle] error:\033[0m %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "this script packs the Linux x86-64 bundle"
"$PY" -c "import PyInstaller" 2>/dev/null || { say "installing pyinstaller into $VENV"; "${PIP[@]}" "pyinstaller>=6"; }

# llama.cpp must be the portable build (GGML_NATIVE=OFF) that installers/setup.sh caches.
"$PY" - "$CACHE/wheels" <<'PYEOF' || die "the .venv's llama-cpp-python is not the portable cached wheel: rerun installers/setup.sh"
import json, sys
from importlib.metadata import distribution
url = json.loads(distribution("llama_cpp_python").read_text("direct_url.json") or "{}").get("url", "")
sys.exit(0 if sys.argv[1] in url else 1)
PYEOF

if [ "$KB" = 1 ]; then
  # .venv's hnswlib is compiled with -march=native (AVX-512 here: pip's wheel cache hands back
  # a native build even when HNSWLIB_NO_NATIVE=1 is set); the bundle gets a portable build,
  # compiled without pip's cache and kept next to the llama.cpp wheel.
  HNSW_VERSION="$("$PY" -c 'from importlib.metadata import version; print(version("hnswlib"))')"
  WHEEL="$(ls "$CACHE"/wheels/hnswlib-"$HNSW_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$WHEEL" ]; then
    say "building a portable hnswlib $HNSW_VERSION wheel (HNSWLIB_NO_NATIVE=1)"
    mkdir -p "$CACHE/wheels"
    HNSWLIB_NO_NATIVE=1 "$PY" -m pip wheel --disable-pip-version-check -q --no-deps \
      --no-cache-dir --no-binary hnswlib -w "$CACHE/wheels" "hnswlib==$HNSW_VERSION" \
      || die "building hnswlib failed"
    WHEEL="$(ls "$CACHE"/wheels/hnswlib-"$HNSW_VERSION"-*.whl | head -n1)"
  fi
  if command -v objdump >/dev/null; then  # portable = baseline x86-64: no AVX registers at all
    SO="$(mktemp -d)"; "$PY" -m zipfile -e "$WHEEL" "$SO"
    if objdump -d "$SO"/hnswlib*.so | grep -qE '%[yz]mm'; then
      rm -rf "$SO"; die "$WHEEL uses AVX instructions: delete it and rerun to build it portable"
    fi
    rm -rf "$SO"
  fi
  export SYMBIOTE_HNSWLIB_WHEEL="$WHEEL"
fi

say "PyInstaller: $DIST/symbiote (several minutes on 2 cores)"
SYMBIOTE_BUNDLE_KB="$KB" nice -n 5 "$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" "$ROOT/installers/symbiote.spec"

say "packing $DIST/$NAME.tar.gz"
STAGE="$WORK/stage/$NAME"
rm -rf "$WORK/stage"; mkdir -p "$STAGE"
cp -al "$DIST/symbiote" "$STAGE/symbiote" 2>/dev/null || cp -R "$DIST/symbiote" "$STAGE/symbiote"
echo "$VERSION" > "$STAGE/symbiote/VERSION"
cp "$ROOT/installers/install.sh" "$ROOT/installers/symbiote.desktop" "$ROOT/installers/README.md" \
   "$ROOT/resources/icon.png" "$ROOT/resources/icon.svg" "$STAGE/"
GZIP_CMD="gzip -6"; command -v pigz >/dev/null && GZIP_CMD="pigz -6"
tar -C "$WORK/stage" -I "$GZIP_CMD" -cf "$DIST/$NAME.tar.gz" "$NAME"
rm -rf "$WORK/stage"
say "bundle: $(du -sh "$DIST/symbiote" | cut -f1) unpacked, $(du -sh "$DIST/$NAME.tar.gz" | cut -f1) packed"
say "install: tar xzf $DIST/$NAME.tar.gz && $NAME/install.sh"
