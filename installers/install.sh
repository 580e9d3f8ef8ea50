#!/usr/bin/env bash
# Installs (or upgrades, or removes) the Symbiote bundle for the current user. No root needed.
#
#   ./install.sh               install or upgrade under ~/.local (PREFIX=... to choose)
#   ./install.sh --uninstall   remove the program; your data stays
#
# Layout: the program in $PREFIX/lib/symbiote/ (replaced whole on upgrade), a launcher link
# $PREFIX/bin/symbiote, the menu entry and icons under $PREFIX/share/. Your data (trajectory
# database, trained models, settings, vault index) lives in ~/.local/share/symbiote (or
# $XDG_DATA_HOME/symbiote, or $SYMBIOTE_HOME): this script never reads or writes it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PREFIX="${PREFIX:-$HOME/.local}"
APPDIR="$PREFIX/lib/symbiote"
BIN="$PREFIX/bin/symbiote"
DESKTOP="$PREFIX/share/applications/symbiote.desktop"
ICONS="$PREFIX/share/icons/hicolor"

say() { printf '[symbiote] %s\n' "$*"; }
die() { printf '[symbiote] error: %s\n' "$*" >&2; exit 1; }

refresh_menus() {  # optional desktop caches: absent on servers, harmless to skip
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$(dirname "$DESKTOP")" || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
}

case "${1:-}" in
  --uninstall)
    rm -rf "$APPDIR" "$DESKTOP" "$ICONS/256x256/apps/symbiote.png" "$ICONS/scalable/apps/symbiote.svg"
    [ -L "$BIN" ] && rm -f "$BIN"
    refresh_menus
    say "removed the program; your data in ${SYMBIOTE_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/symbiote} is kept"
    exit 0 ;;
  -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
  "") ;;
  *) die "unknown option $1 (try --help)" ;;
esac

[ -x "$HERE/symbiote/symbiote" ] || die "no bundle next to this script (expected $HERE/symbiote/symbiote)"
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "this bundle is for Linux x86-64"
# llama.cpp is built for x86-64 with AVX2/FMA/F16C (any CPU since ~2013/2015), not for this one.
if [ -r /proc/cpuinfo ] && ! grep -qw avx2 /proc/cpuinfo; then
  die "this CPU lacks AVX2, which the on-device model's llama.cpp build needs"
fi

mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$(dirname "$DESKTOP")" "$ICONS/256x256/apps" "$ICONS/scalable/apps"
# Copy first, swap after: an interrupted upgrade leaves the old version working.
rm -rf "$APPDIR.new" "$APPDIR.old"
cp -R "$HERE/symbiote" "$APPDIR.new"
[ -d "$APPDIR" ] && mv "$APPDIR" "$APPDIR.old"
mv "$APPDIR.new" "$APPDIR"
rm -rf "$APPDIR.old"
ln -sfn "$APPDIR/symbiote" "$BIN"

# Menus do not search ~/.local/bin: the entry names the program by its full path.
sed -e "s|^Exec=symbiote |Exec=\"$APPDIR/symbiote\" |" -e "s|^TryExec=.*|TryExec=$APPDIR/symbiote|" \
  "$HERE/symbiote.desktop" > "$DESKTOP"
cp "$HERE/icon.png" "$ICONS/256x256/apps/symbiote.png"
cp "$HERE/icon.svg" "$ICONS/scalable/apps/symbiote.svg"
refresh_menus

say "installed $(cat "$APPDIR/VERSION" 2>/dev/null || echo) in $APPDIR"
say "start it from the menu (Symbiote) or with: $BIN app"
case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) say "note: $PREFIX/bin is not on your PATH" ;; esac
chromium=""
for c in "${SYMBIOTE_CHROMIUM:-}" /usr/bin/chromium "$(command -v chromium || true)" "$(command -v chromium-browser || true)"; do
  [ -n "$c" ] && [ -x "$c" ] && { chromium="$c"; break; }
done
if [ -z "$chromium" ]; then
  say "WARNING: Chromium was not found. Symbiote drives the system's Chromium: install it"
  say "         (Debian/Ubuntu: sudo apt-get install chromium) or set SYMBIOTE_CHROMIUM to its path."
fi
