"""The app's non-secret settings: a small typed JSON file in the user data dir.

Secrets never live here: the Anthropic API key and the vault's values are in the system keyring
(core.policies.cloud.KEYRING_SERVICE, core.privacy.vault). A corrupt file is a clear error that
names the file and says how to recover, never a silent reset: the user may want to fix it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import SymbioteError
from core.paths import user_data_dir

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"


class SettingsError(SymbioteError):
    """The settings file cannot be read or written. The message names it and says what to do."""


class AppSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    version: Literal[1] = 1
    mode: Literal["local", "hybrid", "hybrid-redact", "cloud"] = "local"
    cloud_model: str = Field("claude-sonnet-5", min_length=1)
    cloud_base_url: str | None = None          # None: Anthropic's public endpoint
    approval: Literal["always", "redacted", "never"] = "always"
    approval_timeout_s: float = Field(60.0, gt=0, le=3600)
    allowed_domains: list[str] = Field(default_factory=list)   # empty: the start URL's host
    always_approve_sites: list[str] = Field(default_factory=list)
    headed: bool = False                       # show the Chromium window beside the app
    # Ask before irreversible actions (pay, buy, delete, send, change settings): core.confirm.
    confirm: Literal["always", "irreversible", "never"] = "irreversible"
    max_steps: int | None = Field(None, ge=1, le=200)

    @field_validator("cloud_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parsed = urlparse(value.strip())
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.strip()

    @field_validator("allowed_domains", "always_approve_sites")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        cleaned: list[str] = []
        for value in values:
            domain = value.strip().lower()
            if not domain:
                continue
            if "/" in domain or " " in domain:
                raise ValueError(f"{value!r} is not a domain name (e.g. example.com)")
            if domain not in cleaned:
                cleaned.append(domain)
        return cleaned


def settings_path() -> Path:
    return user_data_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> AppSettings:
    """The saved settings, or the defaults when there is no file yet."""
    path = path or settings_path()
    if not path.exists():
        return AppSettings()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read the settings file {path}: {exc.strerror}") from exc
    try:
        return AppSettings.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
                             for e in exc.errors()[:3])
        raise SettingsError(f"the settings file {path} is not valid ({problems}); fix it or "
                            "delete it to start from the defaults") from exc


def save_settings(settings: AppSettings, path: Path | None = None) -> Path:
    """Write atomically: a crash mid-write leaves the previous file, not half of one."""
    path = path or settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(settings.model_dump(), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise SettingsError(f"cannot write the settings file {path}: {exc.strerror}") from exc
    log.debug("settings saved to %s", path)
    return path
