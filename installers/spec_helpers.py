"""Trimming PyInstaller's binary list for the Symbiote bundle (used by installers/symbiote.spec).

Measured on the first Linux build (739 MB): 219 MB were debug info in spaCy's, thinc's and
blis's extension modules and libpython, and ~17 MB were the GTK stack that Qt's GTK platform
theme drags in (the app draws itself with the Fusion style, so it never needs that theme).
Entries are PyInstaller TOC tuples: (destination name, source path, type code).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from importlib.metadata import packages_distributions
from pathlib import Path

log = logging.getLogger("symbiote.spec")

Toc = list[tuple[str, str, str]]

# Qt plugins the desktop app never loads: the GTK theme (it pulls GTK, GDK, cairo, pango, ATK
# from the build machine, a mismatch risk on the user's), and platforms for embedded screens.
UNUSED_QT_PLUGINS = re.compile(
    r"PySide6/Qt/plugins/(platformthemes/libqgtk3|platforms/lib(qeglfs|qlinuxfb|qvnc|"
    r"qvkkhrdisplay|qminimalegl)|egldeviceintegrations/|generic/)")
UNUSED_DATA = re.compile(r"PySide6/Qt/translations/")  # the app's UI is English only


def _is_shared_library(dest: str) -> bool:
    name = dest.rsplit("/", 1)[-1]
    return name.endswith(".so") or ".so." in name


def drop_unused_qt(binaries: Toc, datas: Toc) -> tuple[Toc, Toc]:
    return ([b for b in binaries if not UNUSED_QT_PLUGINS.match(b[0])],
            [d for d in datas if not UNUSED_DATA.match(d[0])])


def _patched_by_auditwheel(dest: str, source: Path) -> bool:
    """Libraries vendored into `*.libs/` and modules pointing at them carry an RPATH written
    by patchelf; binutils' strip corrupts that layout ("ELF load command address/offset not
    page-aligned", seen with numpy.libs' libgfortran), so they are left as they are."""
    if ".libs/" in dest:
        return True
    dynamic = subprocess.run(["readelf", "-d", str(source)], capture_output=True, text=True,
                             check=False).stdout
    return "RPATH" in dynamic or "RUNPATH" in dynamic


def strip_debug_info(binaries: Toc, work: Path) -> Toc:
    """Copies of shared libraries that carry DWARF sections, with `strip --strip-debug` (only
    debug sections go: symbol tables and dynamic linking are untouched)."""
    if shutil.which("strip") is None or shutil.which("readelf") is None:
        log.warning("no `strip`/`readelf` on PATH: the bundle keeps its debug info")
        return binaries
    out: Toc = []
    for dest, src, kind in binaries:
        source = Path(src)
        if (_is_shared_library(dest) and b".debug_info" in source.read_bytes()
                and not _patched_by_auditwheel(dest, source)):
            target = work / "stripped" / dest
            if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
                subprocess.run(["strip", "--strip-debug", str(target)], check=True)
            src = str(target)
        out.append((dest, src, kind))
    return out


def _needed(path: str) -> set[str]:
    """Every library `path` loads, transitively (ldd's names)."""
    result = subprocess.run(["ldd", path], capture_output=True, text=True, check=False)
    names = set()
    for line in result.stdout.splitlines():
        match = re.match(r"\s*(\S+)\s*(=>|\()", line)
        if match:
            names.add(match.group(1).rsplit("/", 1)[-1])
    return names


def prune_orphan_libraries(binaries: Toc) -> Toc:
    """Drop system and Qt libraries that nothing left in the bundle loads (after the plugins
    above are gone). Python extension modules, plugins, libpython and package-local libraries
    (llama_cpp/lib, numpy.libs, …) are the roots; they are always kept."""
    if shutil.which("ldd") is None:
        return binaries

    def prunable(dest: str) -> bool:
        top_level = "/" not in dest and not dest.startswith("libpython") and ".cpython-" not in dest
        return _is_shared_library(dest) and (top_level or dest.startswith("PySide6/Qt/lib/"))

    needed: set[str] = set()
    for dest, src, _kind in binaries:
        if not prunable(dest):
            needed |= _needed(src)
    kept = [b for b in binaries if not prunable(b[0]) or b[0].rsplit("/", 1)[-1] in needed]
    dropped = sorted(b[0] for b in binaries if b not in kept)
    log.warning("symbiote.spec: dropped %d unused libraries: %s", len(dropped), " ".join(dropped))
    return kept


def drop_excluded_metadata(datas: Toc, excluded_modules: list[str]) -> Toc:
    """Hooks copy metadata for whole dependency tables (transformers' lists accelerate and
    peft): a dist-info without its module makes libraries believe the package is there
    (sentence-transformers then imports accelerate and fails). Drop those dist-infos."""
    owners = packages_distributions()
    dists = {d.lower().replace("-", "_") for m in excluded_modules for d in owners.get(m, [])}

    def excluded(dest: str) -> bool:
        top = dest.split("/", 1)[0]
        if not top.endswith(".dist-info"):
            return False
        return top[: -len(".dist-info")].rsplit("-", 1)[0].lower() in dists

    dropped = sorted({d[0].split("/", 1)[0] for d in datas if excluded(d[0])})
    if dropped:
        log.warning("symbiote.spec: dropped metadata of left-out packages: %s", " ".join(dropped))
    return [d for d in datas if not excluded(d[0])]
