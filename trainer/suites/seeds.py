"""Seed lists as the command lines write them: "0-49", "7", "1000-1099,1500"."""

from __future__ import annotations

import argparse


def parse_seeds(text: str | None) -> list[int]:
    """"100-103,250" → [100, 101, 102, 103, 250], in the order written; empty → []."""
    seeds: list[int] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        low, dash, high = part.partition("-")
        try:
            first, last = int(low), int(high if dash else low)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not a seed or a range of seeds: {part!r} (write e.g. 0-49 or 3,7)") from None
        if last < first:
            raise argparse.ArgumentTypeError(f"an empty range of seeds: {part!r}")
        seeds.extend(range(first, last + 1))
    return seeds
