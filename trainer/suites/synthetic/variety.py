"""How varied a family is over a range of seeds, measured without a browser.

A page's *structure* is its tag skeleton (tags with their role / type / class, no text and no
other attribute values): two sites that differ only in words share a structure; a different
layout, label mechanism, field order, optional field or distractor gives another one.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from trainer.suites.synthetic.site import site

_KEPT = ("role", "type", "class")


class _Skeleton(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self.parts.append(tag)
            return
        kept = [f"{k}={v}" for k, v in sorted(attrs) if k in _KEPT]
        kept += sorted(k for k, _ in attrs if k.startswith(("aria-", "for", "placeholder")))
        self.parts.append(f"<{tag} {' '.join(kept)}>")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")


def structure(html: str) -> str:
    parser = _Skeleton()
    parser.feed(html)
    return hashlib.sha1("".join(parser.parts).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Variety:
    family: str
    seeds: int
    intents: int              # distinct intent texts
    phrasings: int            # distinct intents with the data words blanked (templates)
    structures: int           # distinct start-page skeletons
    flows: int                # distinct plan shapes: (page, kind, role) sequences
    mechanisms: Counter[str]  # label mechanism of the site's look
    buttons: Counter[str]     # names of the buttons the plan clicks
    variants: int             # distinct spec.variant records


def measure(family: str, seeds: Sequence[int]) -> Variety:
    intents, phrasings, structures, flows, variants = set(), set(), set(), set(), set()
    mechanisms: Counter[str] = Counter()
    buttons: Counter[str] = Counter()
    for seed in seeds:
        built = site(family, seed)
        spec = built.spec
        intents.add(spec.intent)
        phrasings.add(_template(spec.intent))
        structures.add(structure(built.pages["index.html"]({}).html()))
        flows.add(tuple((s.page.split("?")[0], s.kind, s.target.role if s.target else "")
                        for s in spec.plan))
        variants.add(tuple(sorted(spec.variant.items())))
        mechanisms[built.look.mech] += 1
        for step in spec.plan:
            if step.target is not None and step.target.role == "button" and step.kind == "click":
                buttons[step.target.name] += 1
    return Variety(family, len(seeds), len(intents), len(phrasings), len(structures), len(flows),
                   mechanisms, buttons, len(variants))


def _template(intent: str) -> str:
    """The intent with names, numbers and quoted values blanked: its phrasing."""
    words = []
    for word in intent.split():
        bare = word.strip(".,;:!?()“”'\"")
        words.append("_" if bare[:1].isupper() or any(c.isdigit() for c in bare) or "@" in bare
                     or "{{" in bare else word)
    return " ".join(words)
