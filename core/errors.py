"""One error hierarchy. Every error a user can cause or act on derives from `SymbioteError`;
its message is one sentence that says what is wrong and what to do. Front ends catch the base
class only: the CLI prints `symbiote: error: <message>` and exits 2, the app shows the message.
Anything else is the program's fault and gets a traceback in the log.

The learning side adds its own (DatasetError, TrainError, …) under the same base.
"""

from __future__ import annotations


class SymbioteError(Exception):
    """The base of every user-facing error."""


class ConfigError(SymbioteError):
    """A bad choice: unknown mode, model or seat, a malformed URL or flag."""


class ActionParseError(SymbioteError, ValueError):
    """A text is not one action of the action language; the message says precisely why."""


class BrowserError(SymbioteError):
    """A browser problem the user can act on (missing Chromium, a page that does not open)."""


class ModelError(SymbioteError):
    """A model cannot be used (unknown name, missing or corrupt file)."""


class PolicyError(SymbioteError):
    """A policy could not decide (model missing, cloud unreachable)."""


class CloudError(PolicyError):
    """The cloud could not answer (network, status, rate limit, bad key, malformed reply)."""


class StoreError(SymbioteError):
    """The database cannot be opened, read or written; the message names the path or row."""


class KnowledgeError(SymbioteError):
    """The embedding model or the index cannot be used; says what to install or rebuild."""


class VaultError(SymbioteError):
    """The vault cannot be used as configured."""


class SecretMissing(SymbioteError):
    """A `{{secret:NAME}}` placeholder names no secret the episode may use."""


class WorkflowError(SymbioteError):
    """A workflow cannot be saved, found or run as asked; the message says which and why."""
