"""MCP round trips: `python -m trainer.bench.mcp_latency`.

Starts `symbiote mcp` (stdio, hybrid-redact, a fresh SYMBIOTE_HOME) as a subprocess with the
SDK's stdio client, as Claude Desktop would, opens a practice page and times, from the client:
- `observe`: the tool call round trip for the current step prompt (stdio, JSON-RPC, the
  response audited in cloud_requests);
- `act scroll [down]`: one whole step (the action executed in Chromium, the next observation,
  the privacy boundary over it, the audit) until the next step prompt arrives.
Prints p50/p95 of each and the server's start-up and first `open`. The server is a separate
process and the client imports nothing of Symbiote's front ends.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from trainer.bench.runner import percentile

ROOT = Path(__file__).resolve().parents[2]


async def measure(page: str, observes: int, acts: int, home: str) -> dict[str, object]:
    env = {"SYMBIOTE_HOME": home, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    if os.environ.get("SYMBIOTE_CHROMIUM"):
        env["SYMBIOTE_CHROMIUM"] = os.environ["SYMBIOTE_CHROMIUM"]
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "app.cli.main", "mcp", "--mode", "hybrid-redact"],
                                   env=env, cwd=str(ROOT))
    t0 = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        async with stdio_client(params, errlog=quiet) as (read, write):
            async with ClientSession(read, write) as client:
                await client.initialize()
                started = time.perf_counter() - t0
                t1 = time.perf_counter()
                opened = await client.call_tool("open", {"url": page})
                if opened.is_error:
                    raise SystemExit(f"open failed: {opened.content}")
                first_open = time.perf_counter() - t1
                observe_ms, act_ms = [], []
                for _ in range(observes):
                    t = time.perf_counter()
                    await client.call_tool("observe", {})
                    observe_ms.append((time.perf_counter() - t) * 1000)
                for _ in range(acts):
                    t = time.perf_counter()
                    result = await client.call_tool("act", {"action": "scroll [down]"})
                    act_ms.append((time.perf_counter() - t) * 1000)
                    data = result.structured_content or {}
                    if result.is_error or data.get("status") != "your_turn":
                        break  # the step budget: the episode is over
    return {"started_s": started, "open_s": first_open, "observe": observe_ms, "act": act_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="practice/shop-open-product",
                        help="a practice task id: its start page is opened")
    parser.add_argument("--observes", type=int, default=50)
    parser.add_argument("--acts", type=int, default=4,
                        help="scroll steps (the practice task's step budget bounds them)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="symbiote-mcp-bench-") as home:
        got = anyio.run(measure, args.page, args.observes, args.acts, home)
    print(f"symbiote mcp over stdio, hybrid-redact, {args.page}")
    print(f"server start {got['started_s']:.1f} s, first open {got['open_s']:.1f} s "
          "(Chromium, detector and model load)")
    for name in ("observe", "act"):
        times: list[float] = got[name]  # type: ignore[assignment]
        if times:
            print(f"{name:<8} round trip p50 {percentile(times, 50):.1f} ms / "
                  f"p95 {percentile(times, 95):.1f} ms ({len(times)} calls)")


if __name__ == "__main__":
    main()
