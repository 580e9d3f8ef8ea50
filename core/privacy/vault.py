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

Keyrings cannot list their entries, so secret *names* (never values) are kept in a small JSON
index next to the data. Values are never logged.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Literal

import keyring
import keyring.backend
import keyring.errors
from keyrings.alt.file import PlaintextKeyring

from core.errors import SecretMissing, VaultError
from core.paths import user_data_dir
from core.privacy.secrets import Secret, Secrets

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
        self._cache: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"SecretVault(backend={self.backend!r}, names={self.names()!r})"

    # --- the API ------------------------------------------------------------------------------

    def set(self, name: str, value: str) -> None:
        if not NAME.match(name):
            raise VaultError(f"secret name {name!r} must be 1-64 letters, digits, '_', '.' or "
                             "'-' (it is written as {{secret:NAME}})")
        if not value:
            raise VaultError(f"secret {name!r} needs a non-empty value")
        self._keyring.set_password(SERVICE, name, value)
        self._write_index(sorted(set(self.names()) | {name}))
        if self._cache is not None:
            self._cache[name] = value
        log.info("vault: stored secret %r", name)

    def get(self, name: str) -> str:
        if self._cache is not None and name in self._cache:
            return self._cache[name]
        value = self._keyring.get_password(SERVICE, name)
        if value is None:
            raise SecretMissing(f"no secret named {name!r} in the vault: add it first "
                           f"(names: {', '.join(self.names()) or 'none'})")
        return value

    def delete(self, name: str) -> None:
        try:
            self._keyring.delete_password(SERVICE, name)
        except keyring.errors.PasswordDeleteError:
            log.info("vault: secret %r was not in the keyring", name)
        self._write_index([n for n in self.names() if n != name])
        if self._cache is not None:
            self._cache.pop(name, None)

    def names(self) -> list[str]:
        if not self.index_path.exists():
            return []
        try:
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise VaultError(f"the vault index {self.index_path} is unreadable ({exc}); "
                             "delete it and add the secrets again") from exc
        return sorted(n for n in data.get("names", []) if isinstance(n, str) and NAME.match(n))

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
        """The vault as an episode's secrets (read when used, so a change shows at once)."""
        return Secrets(lambda: [Secret(name, value) for name, value in self.items()])

    # --- internals ----------------------------------------------------------------------------

    def _write_index(self, names: list[str]) -> None:
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.index_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"names": names}, indent=1), encoding="utf-8")
        tmp.chmod(0o600)
        os.replace(tmp, self.index_path)
