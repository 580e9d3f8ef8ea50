"""HTML building blocks that know how Symbiote's observation will name what they write.

`Doc` writes a page in document order and records every control as (role, accessible name,
layer), following core/browser/observe.js: an input is named by aria-label, then
aria-labelledby, then <label for>, then a wrapping <label>, then its placeholder; a button or
link by its text (an <input type=submit> by its value). That is how a plan names its targets
without a browser. `nth` counts earlier controls of the same role and name that are visible
together with the target: those of the main layer and of the target's own layer (one menu,
tab panel or dialog is open at a time).
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from trainer.suites.synthetic.spec import Target

FieldKind = Literal["text", "email", "password", "tel", "search", "textarea", "select",
                    "checkbox", "switch", "radio"]
Mechanism = Literal["for", "wrap", "placeholder", "aria", "labelledby"]
MECHANISMS: tuple[Mechanism, ...] = ("for", "wrap", "placeholder", "aria", "labelledby")


def attrs(**kw: object) -> str:
    """`cls` -> class, `data_do` -> data-do, True -> a bare attribute, None/False -> omitted."""
    out = []
    for key, value in kw.items():
        if value is None or value is False:
            continue
        name = "class" if key == "cls" else key.rstrip("_").replace("_", "-")
        out.append(f" {name}" if value is True else f' {name}="{html.escape(str(value))}"')
    return "".join(out)


class Doc:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.controls: list[tuple[str, str, str]] = []
        self.targets: dict[str, Target] = {}
        self._layers = ["main"]
        self._ids = itertools.count(1)

    def add(self, *chunks: str) -> None:
        self.parts.extend(chunks)

    def el(self, tag: str, text: str = "", **kw: object) -> None:
        self.parts.append(f"<{tag}{attrs(**kw)}>{html.escape(text)}</{tag}>")

    def open(self, tag: str, **kw: object) -> None:
        self.parts.append(f"<{tag}{attrs(**kw)}>")

    def close(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")

    def uid(self, prefix: str = "f") -> str:
        return f"{prefix}{next(self._ids)}"

    def control(self, role: str, name: str, key: str | None = None) -> Target:
        layer = self._layers[-1]
        nth = sum(1 for r, n, lay in self.controls
                  if r == role and n == name and lay in ("main", layer))
        self.controls.append((role, name, layer))
        target = Target(role, name, nth)
        if key is not None:
            self.targets[key] = target
        return target

    @contextmanager
    def layer(self, name: str) -> Iterator[None]:
        self._layers.append(name)
        try:
            yield
        finally:
            self._layers.pop()

    def html(self) -> str:
        return "".join(self.parts)


@dataclass(frozen=True)
class Field:
    """One form control. `value` is what the task wants; `default` what the page shows first."""

    key: str
    label: str
    kind: FieldKind = "text"
    value: str | bool = ""
    options: tuple[str, ...] = ()
    required: bool = False
    autocomplete: str = ""
    secret: str = ""          # the value is {{secret:NAME}}
    hint: str = ""            # a placeholder shown when the label is elsewhere
    what: str = ""            # how a rationale calls the value ("the username")
    default: str | bool = ""
    planned: bool = True      # part of the reference plan (False: an optional field left alone)
    expect: str = ""          # the page accepts only this value (a one-time code)
    same: str = ""            # must equal the field with this key (a confirmation)
    placeholder_option: str = ""  # a first "Choose…" option of a select
    note: str = ""            # a help line under the field

    @property
    def typed(self) -> str:
        return f"{{{{secret:{self.secret}}}}}" if self.secret else str(self.value)

    @property
    def shown(self) -> str | bool:
        """The value the page submits when nobody touches the field (runtime.py `collect`):
        a select without a default shows its placeholder ("") or else its first option."""
        if self.kind in ("checkbox", "switch"):
            return bool(self.default)
        if self.kind == "select" and not self.default:
            return "" if self.placeholder_option or not self.options else self.options[0]
        return str(self.default)


INPUT_TYPES = {"text": None, "email": "email", "password": "password", "tel": "tel",
               "search": "search"}


def field(d: Doc, f: Field, mech: Mechanism, switch_style: str = "input") -> None:
    """Write `f` with label mechanism `mech`; its target(s) go to d.targets[f.key] (a radio
    group: d.targets[f"{f.key}={option}"])."""
    if f.kind == "radio":
        _radios(d, f, "wrap" if mech in ("wrap", "placeholder") else "for")
        return
    if f.kind in ("checkbox", "switch"):
        _toggle(d, f, mech, switch_style)
        return
    if f.kind in ("select", "textarea") and mech == "wrap":
        mech = "for"  # a wrapping label would add the options' text to a select's name
    if f.kind == "select" and mech == "placeholder":
        mech = "aria"
    fid = d.uid()
    common = dict(name=f.key, id=fid, required=f.required, data_label=f.label,
                  autocomplete=f.autocomplete or None, data_expect=f.expect or None,
                  data_same=f.same or None)
    if mech == "aria":
        common["aria_label"] = f.label
    if mech == "labelledby":
        common["aria_labelledby"] = fid + "l"
    if mech in ("for", "placeholder", "aria", "labelledby"):
        d.open("div", cls="fld")
    if mech == "for":
        d.el("label", f.label, for_=fid, cls="req" if f.required else None)
    elif mech == "wrap":
        d.open("label", cls="fld req" if f.required else "fld")
        d.add(html.escape(f.label), " ")
    elif mech == "aria":
        d.el("span", f.label, cls="cap", aria_hidden="true")
    elif mech == "labelledby":
        d.el("span", f.label, cls="cap", id=fid + "l")
    placeholder = f.label if mech == "placeholder" else (f.hint or None)
    if f.kind == "select":
        d.open("select", **common)
        if f.placeholder_option:
            d.el("option", f.placeholder_option, value="", data_placeholder=True)
        for option in f.options:
            d.el("option", option, selected=option == f.default)
        d.close("select")
        role = "combobox"
    elif f.kind == "textarea":
        d.el("textarea", str(f.default or ""), placeholder=placeholder, rows=4, **common)
        role = "textbox"
    else:
        box = attrs(type=INPUT_TYPES[f.kind], value=f.default or None, placeholder=placeholder,
                    **common)
        d.add(f"<input{box}>")
        role = "searchbox" if f.kind == "search" else "textbox"
    d.control(role, f.label, f.key)
    if mech == "wrap":
        d.close("label")
    if f.note:
        d.el("small", f.note, cls="note")
    if mech != "wrap":
        d.close("div")


def _toggle(d: Doc, f: Field, mech: Mechanism, switch_style: str) -> None:
    fid = d.uid()
    role = "switch" if f.kind == "switch" else "checkbox"
    if f.kind == "switch" and switch_style == "button":
        # A switch drawn as a button (role=switch, aria-checked), as design systems do.
        d.open("div", cls="fld row")
        d.el("span", f.label, cls="cap", aria_hidden="true")
        button = attrs(type="button", role="switch", aria_checked=str(bool(f.default)).lower(),
                       aria_label=f.label, data_name=f.key, data_do="switch", cls="switch")
        d.add(f"<button{button}></button>")
        d.control(role, f.label, f.key)
        d.close("div")
        return
    box = attrs(type="checkbox", role="switch" if f.kind == "switch" else None, name=f.key,
                id=fid, checked=bool(f.default), required=f.required, data_label=f.label,
                cls="switch" if f.kind == "switch" else None)
    text = html.escape(f.label)
    if mech == "wrap" or mech == "placeholder":
        d.add(f'<label class="fld row"><input{box}> {text}</label>')
    elif mech == "aria" or mech == "labelledby":
        lab = attrs(aria_label=f.label) if mech == "aria" else attrs(aria_labelledby=fid + "l")
        d.add(f'<div class="fld row"><input{box}{lab}> <span id="{fid}l">{text}</span></div>')
    else:
        d.add(f'<div class="fld row"><input{box}> <label for="{fid}">{text}</label></div>')
    d.control(role, f.label, f.key)
    if f.note:
        d.el("small", f.note, cls="note")


def _radios(d: Doc, f: Field, mech: Mechanism) -> None:
    d.open("fieldset", cls="radios")
    d.el("legend", f.label)
    for option in f.options:
        rid = d.uid()
        box = attrs(type="radio", name=f.key, id=rid, value=option, checked=option == f.default,
                    required=f.required, data_label=f.label)
        if mech == "wrap":
            d.add(f"<label><input{box}> {html.escape(option)}</label>")
        else:
            text = html.escape(option)
            d.add(f'<div class="row"><input{box}> <label for="{rid}">{text}</label></div>')
        d.control("radio", option, f"{f.key}={option}")
    d.close("fieldset")


ButtonStyle = Literal["button", "input", "div"]


def submit(d: Doc, text: str, key: str | None, style: ButtonStyle, form_id: str) -> Target:
    if style == "input":
        d.add(f"<input{attrs(type='submit', value=text, cls='btn primary')}>")
    elif style == "div":
        d.el("div", text, role="button", tabindex=0, cls="btn primary", data_do=f"submit:{form_id}")
    else:
        d.el("button", text, type="submit", cls="btn primary")
    return d.control("button", text, key)


def action(d: Doc, text: str, key: str | None, do: str, cls: str = "btn", **kw: object) -> Target:
    """A button that runs runtime ops (open a menu, log a change and go somewhere)."""
    d.el("button", text, type="button", cls=cls, data_do=do, **kw)
    return d.control("button", str(kw.get("aria_label") or text), key)


def link(d: Doc, text: str, href: str, key: str | None = None, cls: str | None = None,
         **kw: object) -> Target:
    d.el("a", text, href=href, cls=cls, **kw)
    return d.control("link", str(kw.get("aria_label") or text), key)


@contextmanager
def form(d: Doc, name: str, next_page: str, cls: str = "form", restore: bool = False,
         method: str | None = None, action_url: str | None = None,
         sets: str | None = None) -> Iterator[str]:
    """A form the runtime validates and stores (or a plain GET form when `method` is given)."""
    fid = d.uid("form")
    if method:
        d.open("form", id=fid, method=method, action=action_url, cls=cls)
    else:
        d.open("form", id=fid, cls=cls, novalidate=True, data_form=name, data_next=next_page,
               data_restore=restore, data_set=sets)
        d.el("p", "", cls="error", role="alert", data_error=True, hidden=True)
    yield fid
    d.close("form")
