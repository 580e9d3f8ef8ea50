"""The commands that connect Symbiote to other tools: `symbiote mcp` (an MCP server)."""

from __future__ import annotations

import argparse

from app.cli.config import add_agent_flags, add_db_flag, agent_config, vault_secrets
from core.browser.session import BrowserConfig
from core.paths import default_db_path


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    mcp = sub.add_parser("mcp", help="serve Symbiote's browser to an MCP client (stdio by "
                         "default); the client only sees what the privacy boundary releases")
    mcp.add_argument("--http", type=int, default=None, metavar="PORT",
                     help="streamable HTTP on 127.0.0.1:PORT instead of stdio")
    add_agent_flags(mcp)
    mcp.set_defaults(mode="hybrid-redact")
    add_db_flag(mcp)
    mcp.set_defaults(handler=cmd_mcp)


def cmd_mcp(args: argparse.Namespace) -> int:
    from app.mcp.server import Services, serve

    config = agent_config(args)
    config.validate()
    services = Services(config=config, db_path=str(args.db or default_db_path()),
                        browser=BrowserConfig(headless=not args.headed), secrets=vault_secrets)
    serve(services, http_port=args.http)
    return 0
