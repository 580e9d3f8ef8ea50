"""One reading of the seed lists every command line takes (trainer.suites.seeds)."""

from __future__ import annotations

import argparse

import pytest

from trainer.suites.seeds import parse_seeds


def test_ranges_and_single_seeds_in_the_order_written() -> None:
    assert parse_seeds("1000-1003") == [1000, 1001, 1002, 1003]
    assert parse_seeds("7") == [7]
    assert parse_seeds(" 5-6, 2 ,9") == [5, 6, 2, 9]
    assert parse_seeds("") == [] and parse_seeds(None) == []


@pytest.mark.parametrize("text", ["a-3", "3-", "1.5", "9-2"])
def test_bad_seeds_are_one_clear_error(text: str) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=parse_seeds)
    with pytest.raises(SystemExit):
        parser.parse_args(["--seeds", text])
    with pytest.raises(argparse.ArgumentTypeError, match="seed"):
        parse_seeds(text)
