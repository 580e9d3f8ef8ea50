"""SecretVault: the user's secrets (site passwords, card numbers) kept in a keyring.

Models never see a secret: they write `{{secret:name}}` and the browser executor fills the value
in (`resolver()`); the detector flags any page or text that shows a vault value (`values()`).

Backends (pick with `backend=` or SYMBIOTE_KEYRING=system|plaintext|auto; default auto):
- "system": the desktop's keyring (SecretService — GNOME Keyring/KWallet — on Linux, Keychain on
  macOS, Credential Locker on Windows). Encrypted at rest, unlocked with the user's session.
- "plaintext": keyrings.alt's PlaintextKeyring, a file in Symbiote's data dir. WEAKER: the
  values are stored unencrypted (file mode 0600), so anyone who can read the user's files or a
  backup of them can read the secrets. It is the fallback for headless machines and tests.
- "auto": system when one is usable, else plaintext with one logged warning.

Keyrings cannot list their entries, so each secret's *name*, sites and kind (never its value)
are kept in a small JSON index next to the data. A secret is typed only on a page of its sites
and into a field of its kind (core.privacy.secrets). Values are never logged.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

import keyring
import keyring.backend
import keyring.errors
from keyrings.alt.file import PlaintextKeyring

from core.errors import SecretMissing, VaultError
from core.paths import user_data_dir
from core.privacy.secrets import KINDS, Secret, SecretKind, Secrets, origin_of

log = logging.getLogger(__name__)

Backend = Literal["system", "plaintext", "auto"]
SERVICE = "symbiote"
ENV_BACKEND = "SYMBIOTE_KEYRING"
# The names `{{secret:name}}` placeholders can carry (core.privacy.secrets.SECRET_PLACEHOLDER).
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# Backends that are not a real keyring: keyrings.alt's files, the failing/null stubs, and the
# chainer (which would silently chain a plaintext file).
_NOT_SYSTEM = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null",
               "keyring.backends.chainer")


def system_keyring() -> keyring.backend.KeyringBackend | None:
    """The best usable desktop keyring, or None on a headless machine."""
    candidates = [k for k in keyring.backend.get_all_keyring()
                  if not type(k).__module__.startswith(_NOT_SYSTEM)]
    return max(candidates, key=lambda k: k.priority, default=None)


def plaintext_keyring(path: Path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    backend.file_path = str(path)  # an instance-level override the class supports
    return backend


@dataclass(frozen=True)
class VaultEntry:
    name: str
    sites: tuple[str, ...] = ()
    kind: SecretKind = "password"


def check_site(site: str) -> str:
    """An origin (scheme://host[:port]) a secret belongs to; VaultError for anything else."""
    origin = origin_of(site.strip())
    if not origin or urlparse(site.strip()).scheme not in ("http", "https"):
        raise VaultError(f"{site!r} is not a site: give an origin such as "
                         "https://mail.example.com or http://127.0.0.1:8800")
    return site.strip().rstrip("/")


class SecretVault:
    def __init__(self, backend: Backend | None = None, *, data_dir: Path | None = None) -> None:
        data_dir = data_dir if data_dir is not None else user_data_dir()
        choice = backend or os.environ.get(ENV_BACKEND, "auto")
        if choice not in ("system", "plaintext", "auto"):
            raise VaultError(f"unknown keyring backend {choice!r}: set {ENV_BACKEND} to "
                             "system, plaintext or auto")
        self.index_path = data_dir / "vault_index.json"
        system = system_keyring() if choice != "plaintext" else None
        if choice == "system" and system is None:
            raise VaultError("no system keyring is available (on Linux install and unlock "
                             f"gnome-keyring), or set {ENV_BACKEND}=plaintext to store secrets "
                             "unencrypted in a file")
        if system is not None:
            self._keyring: keyring.backend.KeyringBackend = system
            self.backend = "system"
        else:
            if choice == "auto":
                log.warning("no system keyring available: vault secrets are stored UNENCRYPTED "
                            "in %s", data_dir / "vault_plaintext.cfg")
            self._keyring = plaintext_keyring(data_dir / "vault_plaintext.cfg")
            self.backend = "plaintext"
        self._file = data_dir / "vault_plaintext.cfg"
        self._cache: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"SecretVault(backend={self.backend!r}, names={self.names()!r})"

    # --- the API ------------------------------------------------------------------------------

    def describe(self) -> str:
        """Where the values really are, in words for the user."""
        if self.backend == "system":
            return f"the system keyring ({type(self._keyring).__name__})"
        return (f"an UNENCRYPTED file, {self._file}: anyone who can read your files can read "
                "the secrets")

    def set(self, name: str, value: str, *, sites: Iterable[str] = (),
            kind: SecretKind = "password") -> None:
        if not NAME.match(name):
            raise VaultError(f"secret name {name!r} must be 1-64 letters, digits, '_', '.' or "
                             "'-' (it is written as {{secret:NAME}})")
        if not value:
            raise VaultError(f"secret {name!r} needs a non-empty value")
        if kind not in KINDS:
            raise VaultError(f"unknown secret kind {kind!r}; choose one of {', '.join(KINDS)}")
        origins = tuple(check_site(site) for site in sites)
        self._keyring.set_password(SERVICE, name, value)
        entries = {e.name: e for e in self.entries()}
        entries[name] = VaultEntry(name, origins, kind)
        self._write_index(list(entries.values()))
        if self._cache is not None:
            self._cache[name] = value
        log.info("vault: stored secret %r for %s", name, ", ".join(origins) or "no site")

    def get(self, name: str) -> str:
        if self._cache is not None and name in self._cache:
            return self._cache[name]
        value = self._keyring.get_password(SERVICE, name)
        if value is None:
            raise SecretMissing(f"no secret named {name!r} in the vault: add it first "
                                f"(names: {', '.join(self.names()) or 'none'})")
        return value

    def delete(self, name: str) -> None:
        if name not in self.names():
            raise SecretMissing(f"no secret named {name!r} in the vault "
                                f"(names: {', '.join(self.names()) or 'none'})")
        try:
            self._keyring.delete_password(SERVICE, name)
        except keyring.errors.PasswordDeleteError:
            log.info("vault: secret %r was not in the keyring", name)
        self._write_index([e for e in self.entries() if e.name != name])
        if self._cache is not None:
            self._cache.pop(name, None)

    def entries(self) -> list[VaultEntry]:
        """Names, sites and kinds, sorted by name: never a value."""
        if not self.index_path.exists():
            return []
        try:
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise VaultError(f"the vault index {self.index_path} is unreadable ({exc}); "
                             "delete it and add the secrets again") from exc
        raw = data.get("entries")
        if raw is None:  # the first index format: names only
            raw = {n: {} for n in data.get("names", []) if isinstance(n, str)}
        entries = []
        for name, meta in raw.items():
            if not (isinstance(name, str) and NAME.match(name) and isinstance(meta, dict)):
                continue
            kind = meta.get("kind", "password")
            entries.append(VaultEntry(name, tuple(str(s) for s in meta.get("sites", [])),
                                      kind if kind in KINDS else "password"))
        return sorted(entries, key=lambda e: e.name)

    def names(self) -> list[str]:
        return [e.name for e in self.entries()]

    def items(self) -> list[tuple[str, str]]:
        """(name, value) pairs, read once from the keyring and then kept in memory."""
        if self._cache is None:
            cache = {}
            for name in self.names():
                value = self._keyring.get_password(SERVICE, name)
                if value is not None:
                    cache[name] = value
            self._cache = cache
        return sorted(self._cache.items())

    def values(self) -> list[str]:
        """The secret values, for the detector and the masking of stored observations."""
        return [value for _, value in self.items()]

    def as_secrets(self) -> Secrets:
        """The vault as an episode's secrets, with their sites and kinds (read when used, so
        a change shows at once)."""
        def items() -> list[Secret]:
            values = dict(self.items())
            return [Secret(e.name, values[e.name], e.sites, e.kind) for e in self.entries()
                    if e.name in values]
        return Secrets(items)

    # --- internals ----------------------------------------------------------------------------

    def _write_index(self, entries: list[VaultEntry]) -> None:
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.index_path.with_suffix(".tmp")
        data = {"version": 2, "entries": {e.name: {"sites": list(e.sites), "kind": e.kind}
                                          for e in sorted(entries, key=lambda e: e.name)}}
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.chmod(0o600)
        os.replace(tmp, self.index_path)
