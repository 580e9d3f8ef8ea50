"""`symbiote …`: parse flags, call the engine or the learning side, print. Every error a user
can cause is a SymbioteError and becomes one line, `symbiote: error: …`, with exit code 2; the
program's own faults get a traceback in the log."""

from __future__ import annotations

import argparse
import logging
import sys

from app.cli import commands, integrations, learn, workflows
from core.errors import SymbioteError
from core.privacy.secrets import install_log_mask


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="symbiote", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    commands.add_parsers(sub)
    learn.add_parsers(sub)
    integrations.add_parsers(sub)
    workflows.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    install_log_mask()  # no secret value reaches the terminal through a log line
    try:
        return int(args.handler(args))
    except SymbioteError as exc:
        print(f"symbiote: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symbiote: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
