"""Where things live: bundled resources, the user's data dir."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from core.errors import ConfigError


def _resources_dir() -> Path:
    bundled = getattr(sys, "_MEIPASS", None)  # PyInstaller one-folder bundle
    if bundled:
        return Path(bundled) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


RESOURCES = _resources_dir()


def user_data_dir() -> Path:
    """~/.local/share/symbiote (XDG), or SYMBIOTE_HOME when set (tests, isolated runs)."""
    explicit = os.environ.get("SYMBIOTE_HOME")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "symbiote"


def cache_dir() -> Path:
    """~/.cache/symbiote, or SYMBIOTE_CACHE: what can be built again from shipped files (the
    merged models, the trainer's copies of the base), shared by every SYMBIOTE_HOME."""
    explicit = os.environ.get("SYMBIOTE_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "symbiote"


def default_db_path() -> Path:
    return user_data_dir() / "symbiote.db"


def workflows_dir() -> Path:
    """Saved workflows, one JSON file each."""
    return user_data_dir() / "workflows"


def profiles_dir() -> Path:
    """Persistent Chromium profiles (`--profile NAME`): the user's logins. Never exported."""
    return user_data_dir() / "profiles"


def profile_dir(name: str) -> Path:
    """The folder of one named profile; a name is letters, digits, '_', '-' or '.'."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise ConfigError(f"{name!r} is not a profile name: use letters, digits, '_', '-' "
                          "or '.'")
    return profiles_dir() / name
