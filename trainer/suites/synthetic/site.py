"""The public face of the synthetic web: families per split, spec lookup, and `render`.

Pages are generated on request from the path /synthetic/<family>/<seed>/<page>; nothing is
written to disk. A site (spec + page builders) is built once per (family, seed) and cached.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping

from trainer.suites.synthetic import chrome
from trainer.suites.synthetic.families import FAMILIES
from trainer.suites.synthetic.families.common import Site
from trainer.suites.synthetic.spec import Split, TaskSpec

PREFIX = "/synthetic/"
_PATH = re.compile(r"^/synthetic/([a-z-]+)/(\d{1,9})/([a-z0-9-]*\.html)?$")
_INFO_PAGE = re.compile(r"^[a-z0-9-]+\.html$")
HTML = "text/html; charset=utf-8"


def families(split: Split | None = None) -> list[str]:
    """Family names, in a fixed order; only those of `split` when given."""
    return [name for name, module in FAMILIES.items() if split is None or module.SPLIT == split]


def split_of(family: str) -> Split:
    return FAMILIES[family].SPLIT


@functools.lru_cache(maxsize=512)
def site(family: str, seed: int) -> Site:
    if family not in FAMILIES:
        raise KeyError(f"unknown synthetic family {family!r}")
    return FAMILIES[family].build(seed)


def spec(family: str, seed: int) -> TaskSpec:
    return site(family, seed).spec


def spec_for(task_id: str) -> TaskSpec | None:
    """The spec of "synthetic/<family>/<seed>", or None for any other task id."""
    match = re.fullmatch(r"synthetic/([a-z-]+)/(\d+)", task_id)
    if match is None or match.group(1) not in FAMILIES:
        return None
    return spec(match.group(1), int(match.group(2)))


def task_ids(family: str, seeds: range) -> list[str]:
    return [f"synthetic/{family}/{seed}" for seed in seeds]


def render(path: str, query: Mapping[str, str]) -> tuple[int, str, bytes] | None:
    """(status, content type, body) for a path under /synthetic/, None for any other path."""
    if not path.startswith(PREFIX):
        return None
    match = _PATH.match(path)
    if match is None or match.group(1) not in FAMILIES:
        return 404, HTML, _not_found(path)
    family, seed, name = match.group(1), int(match.group(2)), match.group(3) or "index.html"
    built = site(family, seed)
    page = built.pages.get(name)
    if page is not None:
        return 200, HTML, page(query).html().encode("utf-8")
    if _INFO_PAGE.match(name):
        # Nav, footer and promo links lead somewhere, as on a real site: a plain page.
        return 200, HTML, info_page(built, name).encode("utf-8")
    return 404, HTML, _not_found(path)


def info_page(built: Site, name: str) -> str:
    topic = name[: -len(".html")].replace("-", " ").capitalize()
    with chrome.page(built.look, topic, topic) as d:
        d.el("p", f"This page about {topic.lower()} is part of the {built.look.brand} demo.")
        d.el("a", "Back to the start page", href="index.html")
    return d.html()


def _not_found(path: str) -> bytes:
    return (f"<!DOCTYPE html><title>Not found</title><h1>Not found</h1>"
            f"<p>{html.escape(path)}</p>").encode()
