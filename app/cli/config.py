"""The one place where command-line flags become config objects (AgentConfig, options, the
store, the secrets), shared by every command that runs episodes."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from core.agent import AgentConfig
from core.browser.session import BrowserConfig
from core.confirm import CONFIRM_MODES, CONFIRM_TIMEOUT_S, ConfirmRequest
from core.errors import VaultError
from core.paths import default_db_path, profile_dir
from core.policies.grounding import GROUNDERS
from core.privacy.rules import MODES
from core.privacy.secrets import NO_SECRETS, Secrets
from core.routing.privacy import ApprovalRequest
from core.store.service import TrajectoryStore

log = logging.getLogger(__name__)


def add_agent_flags(p: argparse.ArgumentParser, *,
                    large_choices: tuple[str, ...] = ("claude", "openai")) -> None:
    p.add_argument("--mode", default="local", choices=MODES,
                   help="routing: local (default, no network), cloud, hybrid, hybrid-redact")
    p.add_argument("--small", default=None, help="registry model for the on-device seat")
    p.add_argument("--large", default=large_choices[0], choices=large_choices,
                   help="what fills the large seat")
    p.add_argument("--grounding", default="rules", choices=sorted(GROUNDERS),
                   help="decoding help of the on-device policy: rules (v1-v4's click "
                        "grounding), kinds and copy (action-first students), off: the model "
                        "alone")
    p.add_argument("--cloud-url", default=None,
                   help="the large seat's API base URL (openai: any OpenAI-compatible server, "
                        "e.g. http://127.0.0.1:8080/v1 for llama-server)")
    p.add_argument("--cloud-model", default=None,
                   help="cloud model name (default: claude-sonnet-5, or gpt-4o-mini for openai)")
    p.add_argument("--budget", type=float, default=None, metavar="USD",
                   help="stop an episode before a cloud request could take it over this many "
                        "dollars (prices: resources/prices.json, prices.json in the data dir)")
    p.add_argument("--approval", default="never", choices=["always", "redacted", "never"],
                   help="ask before cloud requests: always, only when something was redacted, "
                        "or never")
    p.add_argument("--no-fallback", action="store_true",
                   help="fail instead of letting the local model decide when the cloud fails")
    p.add_argument("--headed", action="store_true", help="show the Chromium window")
    p.add_argument("--max-steps", type=int, default=None, help="step budget per episode")


def add_browser_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default=None,
                   help="keep this named browser profile (logins, cookies) in the data dir "
                        "across runs; default: a fresh, empty profile")
    p.add_argument("--cdp-url", default=None,
                   help="attach to a Chromium you already run (started with "
                        "--remote-debugging-port=9222): http://127.0.0.1:9222")


def add_confirm_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--confirm", default="irreversible", choices=CONFIRM_MODES,
                   help="ask before actions: always, only irreversible ones (pay, buy, "
                        "delete, send, change settings; the default) or never")


def browser_config(args: argparse.Namespace, headed: bool | None = None) -> BrowserConfig:
    profile = getattr(args, "profile", None)
    return BrowserConfig(headless=not (headed if headed is not None else args.headed),
                         profile_dir=profile_dir(profile) if profile else None,
                         cdp_url=getattr(args, "cdp_url", None))


def cli_confirmer(request: ConfirmRequest, timeout_s: float = CONFIRM_TIMEOUT_S) -> bool:
    """Ask on the terminal before an irreversible action; no terminal, or no answer within
    `timeout_s`, is a no."""
    import select

    if not sys.stdin or not sys.stdin.isatty():
        print(f"  declined {request.described}: no terminal to ask for approval",
              file=sys.stderr)
        return False
    print(f"\n--- approval needed (step {request.step + 1}) ---")
    print(f"{request.described}\n  on {request.url}\n  {request.reason}")
    for name, value in request.fields:
        print(f"  {name}: {value}")
    print(f"allow it? [y/N] (no answer in {timeout_s:.0f} s is no) ", end="", flush=True)
    ready, _, _ = select.select([sys.stdin], [], [], timeout_s)
    if not ready:
        print("\n  no answer: declined")
        return False
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def add_db_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None,
                   help=f"trajectory database (default: {default_db_path()})")


def agent_config(args: argparse.Namespace) -> AgentConfig:
    """`--large teacher` is the learning side's offline seat: it is handed to build_router as
    a seat, so the config keeps the cloud seat's name."""
    return AgentConfig(mode=args.mode, small=args.small,
                       large="claude" if args.large == "teacher" else args.large,
                       grounding=args.grounding, cloud_url=args.cloud_url,
                       cloud_model=args.cloud_model, approval=args.approval,
                       fallback_local=not args.no_fallback, budget_usd=args.budget)


def open_store(path: Path | None) -> TrajectoryStore:
    return TrajectoryStore(path or default_db_path())


def vault_secrets() -> Secrets:
    """The user's vault as the episode's secrets; none (with a warning) when it cannot open."""
    from core.privacy.vault import SecretVault

    try:
        return SecretVault().as_secrets()
    except VaultError as exc:
        log.warning("the vault is not available, so no secrets can be used: %s", exc)
        return NO_SECRETS


def cli_approver(request: ApprovalRequest) -> bool:
    """Ask on the terminal; with no terminal (CI, pipes) the answer is no."""
    import json

    if not sys.stdin or not sys.stdin.isatty():
        print("  cloud request denied: no terminal to ask for approval", file=sys.stderr)
        return False
    print(f"\n--- this would be sent to the cloud (step {request.step + 1}) ---")
    print(json.dumps(request.payload, indent=2, ensure_ascii=False))
    if request.redactions:
        print(f"redacted before sending: {', '.join(request.redactions)}")
    answer = input("send it? [y/N] ").strip().lower()
    return answer in ("y", "yes")
