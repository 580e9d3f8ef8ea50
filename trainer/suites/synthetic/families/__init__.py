"""The families. Each module has FAMILY, SPLIT ("train" / "heldout"), SUMMARY and
build(seed) -> Site."""

from __future__ import annotations

from typing import Protocol

from trainer.suites.synthetic.families import (
    booking,
    checkout,
    contact,
    cookie,
    errand,
    lookup,
    menu,
    modal,
    orderstatus,
    pagination,
    profile,
    record,
    recovery,
    search,
    settings,
    signin,
    signup,
    transfer,
    wizard,
)
from trainer.suites.synthetic.families.common import Site
from trainer.suites.synthetic.spec import Split


class Family(Protocol):
    """What a family module provides (a module satisfies it)."""

    FAMILY: str
    SPLIT: Split
    SUMMARY: str

    def build(self, seed: int) -> Site: ...


MODULES: tuple[Family, ...] = (
    signin, signup, contact, checkout, settings, search, lookup, menu, modal, cookie, pagination,
    errand, record, profile, booking, transfer, orderstatus, recovery, wizard,
)
FAMILIES: dict[str, Family] = {m.FAMILY: m for m in MODULES}
