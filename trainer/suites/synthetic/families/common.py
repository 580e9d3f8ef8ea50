"""What every family shares: the Site type, the plan writer and the usual page shapes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.chrome import Look
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import (
    Check,
    Effect,
    FieldCheck,
    Split,
    Step,
    StepKind,
    Target,
    TaskSpec,
)

Query = Mapping[str, str]
PageFn = Callable[[Query], Doc]


@dataclass(frozen=True)
class Site:
    """One generated task: its spec and its pages (name -> page builder for a query)."""

    spec: TaskSpec
    pages: Mapping[str, PageFn]
    look: Look


class Plan:
    """The reference steps, written while the pages are built (the targets come from them)."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.guards: list[Step] = []  # fields the task leaves alone, as the page shows them

    def add(self, page: str, kind: StepKind, target: Target | None, rationale: str,
            text: str = "", effect: Effect = "value", checked: bool | None = None,
            reveals: Target | None = None, gone: Target | None = None,
            enter: bool = False) -> None:
        self.steps.append(Step(page=page, kind=kind, target=target, text=text,
                               rationale=rationale, effect=effect, checked=checked,
                               reveals=reveals, gone=gone, enter=enter))

    def click(self, page: str, target: Target, rationale: str, effect: Effect = "navigate",
              reveals: Target | None = None) -> None:
        self.add(page, "click", target, rationale, effect=effect, reveals=reveals)

    def stop(self, page: str, answer: str, rationale: str) -> None:
        self.add(page, "stop", None, rationale, text=answer, effect="stop")

    def cookie(self, page: str, d: Doc, look: Look) -> None:
        """Answer the cookie banner first, privacy-minded, when the start page shows one."""
        target = chrome.cookie_target(d, look)
        if target is not None:
            self.add(page, "click", target, f"A cookie banner covers the page: click "
                     f"'{target.name}' to close it.", effect="dismiss")

    def fill(self, page: str, d: Doc, fields: Sequence[Field]) -> None:
        for f in fields:
            if f.planned:
                self.field(page, d, f)
        self.guard(page, d, fields)

    def guard(self, page: str, d: Doc, fields: Sequence[Field]) -> None:
        """Remember how each field the task leaves alone first shows, where a student could
        tell it from its own history, so the teacher can put back one that a slip changed
        (checks_for fails the form otherwise): a checkbox or switch is clicked back, an empty
        optional text field cleared. Not part of the plan: on its own path the teacher never
        touches these fields. What a select, a radio group or a pre-filled field showed before
        a slip no step's prompt holds, so those are left to fail."""
        for f in fields:
            if f.planned:
                continue
            if f.kind in ("checkbox", "switch"):
                target = d.targets[f.key]
                on = bool(f.default)
                self.guards.append(Step(
                    page=page, kind="click", target=target, checked=on,
                    rationale=f"The task does not change {target.describe()}: turn it back "
                              f"{'on' if on else 'off'}."))
            elif f.kind not in ("radio", "select") and not f.default:
                target = d.targets[f.key]
                self.guards.append(Step(
                    page=page, kind="type", target=target, text="",
                    rationale=f"The task does not change {target.describe()}: clear it."))

    def field(self, page: str, d: Doc, f: Field) -> None:
        if f.kind == "radio":
            target = d.targets[f"{f.key}={f.value}"]
            self.add(page, "click", target, f"Select {target.describe()} button for {f.label}.",
                     checked=True)
        elif f.kind in ("checkbox", "switch"):
            target = d.targets[f.key]
            on = bool(f.value)
            verb = ("Turn on" if on else "Turn off") if f.kind == "switch" else \
                ("Tick" if on else "Untick")
            self.add(page, "click", target, f"{verb} {target.describe()}.", checked=on)
        elif f.kind == "select":
            target = d.targets[f.key]
            self.add(page, "select", target, f"Choose '{f.value}' in {target.describe()}.",
                     text=str(f.value))
        else:
            target = d.targets[f.key]
            what = f" {f.what}" if f.what else ""
            shown = f.typed if f.secret else f"'{f.value}'"
            self.add(page, "type", target, f"Type{what} {shown} into {target.describe()}.",
                     text=f.typed)

    def submit(self, page: str, d: Doc, text: str = "Everything is filled in") -> None:
        target = d.targets["submit"]
        self.click(page, target, f"{text}: click {target.describe()}.")


def checks_for(form: str, fields: Sequence[Field]) -> list[Check]:
    """The form must hold every planned value, and every field the task does not name as the
    page first showed it (a value typed into an optional field is a mistake, as in WebArena's
    program_html checks of untouched fields)."""
    out: list[Check] = []
    for f in fields:
        if f.secret:
            out.append(FieldCheck(form, f.key, secret=f.secret))
        elif not f.planned:
            out.append(FieldCheck(form, f.key, f.shown))
        elif f.kind in ("checkbox", "switch"):
            out.append(FieldCheck(form, f.key, bool(f.value)))
        else:
            out.append(FieldCheck(form, f.key, str(f.value)))
    return out


def make_spec(family: str, seed: int, split: Split, intent: str, plan: Plan,
              checks: Sequence[Check], secrets: Mapping[str, str] | None = None,
              variant: Mapping[str, str] | None = None) -> TaskSpec:
    return TaskSpec(
        task_id=f"synthetic/{family}/{seed}", family=family, seed=seed, split=split,
        intent=intent, start_path=f"/synthetic/{family}/{seed}/index.html",
        max_steps=max(5, 2 * len(plan.steps)), plan=tuple(plan.steps), checks=tuple(checks),
        guards=tuple(plan.guards),
        secrets=dict(secrets or {}), variant=dict(variant or {}))


@dataclass(frozen=True)
class FormPage:
    title: str
    heading: str
    fields: tuple[Field, ...]
    submit: str
    form: str
    next_page: str
    intro: str = ""
    after: tuple[tuple[str, str], ...] = ()   # (link text, href) under the form
    restore: bool = False
    layout_cls: str = "form"
    extra: Callable[[Doc], None] | None = field(default=None, compare=False)  # in the form


def form_page(look: Look, spec: FormPage, first: bool = False) -> Doc:
    """A page whose main content is one form (plus the look's chrome and distractors)."""
    with chrome.page(look, spec.title, spec.heading, first=first) as d:
        if look.layout == "split":
            d.open("div", cls="split-intro")
            d.el("p", spec.intro or "Complete the fields, then proceed.")
            d.close("div")
        elif spec.intro:
            d.el("p", spec.intro)
        with kit.form(d, spec.form, spec.next_page, cls=spec.layout_cls,
                      restore=spec.restore) as fid:
            if spec.extra is not None:
                spec.extra(d)  # inside the form: hidden inputs are submitted with it
            if look.layout == "framed":
                d.open("div", cls="frame full")
            for f in spec.fields:
                kit.field(d, f, look.mech, look.switch)
            if look.layout == "framed":
                d.close("div")
            kit.submit(d, spec.submit, "submit", look.button, fid)
        for text, href in spec.after:
            kit.link(d, text, href, key=f"after:{text}")
    return d


def message_page(look: Look, title: str, heading: str, lines: Sequence[str],
                 links: Sequence[tuple[str, str]] = ()) -> Doc:
    with chrome.page(look, title, heading) as d:
        for i, line in enumerate(lines):
            d.el("p", line, role="status" if i == 0 else None)
        for text, href in links:
            kit.link(d, text, href)
    return d


def numbered(q: Query, count: int, key: str = "id") -> int:
    """The page's `?id=` (or `key`) as an index into `count` items; 0 when absent or bad."""
    raw = q.get(key, "0")
    return min(int(raw), count - 1) if raw.isdigit() else 0


def details(d: Doc, values: Mapping[str, str], style: str) -> None:
    """Labelled values as a two-column table, a definition list, small label / value boxes or
    "Label: value" lines."""
    if style == "table":
        d.open("table")
        for key, value in values.items():
            d.add("<tr>")
            d.el("th", key)
            d.el("td", value)
            d.add("</tr>")
        d.close("table")
    elif style == "list":
        d.open("dl")
        for key, value in values.items():
            d.el("dt", key)
            d.el("dd", value)
        d.close("dl")
    elif style == "grid":
        d.open("div", cls="split")
        for key, value in values.items():
            d.open("div", cls="frame")
            d.el("small", key)
            d.el("p", value)
            d.close("div")
        d.close("div")
    else:
        for key, value in values.items():
            d.el("p", f"{key}: {value}")


def reorder(rng_pick: Callable[[Sequence[int]], int], fields: list[Field],
            movable: set[str]) -> list[Field]:
    """Swap two adjacent movable fields now and then: field order varies by site."""
    idx = [i for i, f in enumerate(fields) if f.key in movable]
    if len(idx) >= 2:
        i = rng_pick(idx[:-1])
        j = idx[idx.index(i) + 1]
        fields[i], fields[j] = fields[j], fields[i]
    return fields
