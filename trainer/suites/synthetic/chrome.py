"""Page chrome: theme, layout, navigation, footer and the distractors around the task's form.

A `Look` is drawn once per site from the seed (every page of a site shares it). Distractors
are what real pages carry and a student must learn to ignore: nav bars, a sidebar, footer
links, a promo with its own button, a newsletter box with its own email field, a cookie
banner that covers the page until it is answered.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from trainer.suites.synthetic import kit
from trainer.suites.synthetic.kit import Doc, Mechanism
from trainer.suites.synthetic.runtime import RUNTIME_JS
from trainer.suites.synthetic.spec import Split, Target
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng

PALETTES = (("#1d4ed8", "#f8fafc", "#0f172a"), ("#047857", "#f0fdf4", "#052e16"),
            ("#b45309", "#fffbeb", "#1c1917"), ("#7c3aed", "#faf5ff", "#1e1b4b"),
            ("#be123c", "#fff1f2", "#1f1315"), ("#0e7490", "#ecfeff", "#083344"),
            ("#374151", "#ffffff", "#111827"), ("#a16207", "#fefce8", "#292524"))
FONTS = ("system-ui, sans-serif", "Georgia, serif", "Verdana, sans-serif",
         "'Trebuchet MS', sans-serif", "Helvetica, Arial, sans-serif")


@dataclass(frozen=True)
class Look:
    split: Split
    family: str
    seed: int
    brand: str
    palette: int
    font: str
    radius: int
    layout: str
    chrome: str
    mech: Mechanism
    button: kit.ButtonStyle
    switch: str
    nav: tuple[str, ...]
    footer: tuple[str, ...]
    promo: str
    newsletter: str            # "" (none), "footer" or "aside": a second form with an email
    newsletter_label: str
    cookie: tuple[str, ...]    # the banner's buttons; () = no banner

    @property
    def key(self) -> str:
        return f"synthetic.{self.family}.{self.seed}"


def draw_look(rng: Rng, family: str, seed: int, split: Split, cookie: float = 0.12,
              mechs: tuple[Mechanism, ...] = kit.MECHANISMS) -> Look:
    banner: tuple[str, ...] = ()
    if rng.chance(cookie):
        banner = ((rng.pick(words(split, "cookie_accept")), rng.pick(words(split, "cookie_reject")))
                  if rng.chance(0.75) else (rng.pick(words(split, "cookie_ok")),))
    return Look(
        split=split, family=family, seed=seed, brand=rng.brand(),
        palette=rng.randrange(len(PALETTES)), font=rng.pick(FONTS), radius=rng.pick((0, 4, 8, 14)),
        layout=rng.pick(words(split, "layout")), chrome=rng.pick(words(split, "chrome")),
        mech=rng.pick(mechs), button=rng.pick(("button", "button", "input", "div")),
        switch=rng.pick(("input", "button")),
        nav=tuple(rng.some(words(split, "nav"), rng.randint(2, 5))),
        footer=tuple(rng.some(words(split, "footer"), rng.randint(1, 4))),
        promo=rng.pick(words(split, "promo")) if rng.chance(0.45) else "",
        newsletter=rng.pick(("", "", "footer", "aside")),
        newsletter_label=rng.pick(words(split, "email")), cookie=banner)


def css(look: Look) -> str:
    accent, bg, ink = PALETTES[look.palette]
    cols = "1fr 1fr" if look.layout in ("two-col", "split") else "1fr"
    width = {"card": "26rem", "wide": "60rem", "split": "64rem"}.get(look.layout, "44rem")
    return (
        f":root{{--a:{accent};--bg:{bg};--ink:{ink};--r:{look.radius}px}}"
        f"[hidden]{{display:none!important}}"
        f"body{{margin:0;font-family:{look.font};background:var(--bg);color:var(--ink)}}"
        "header,footer,.crumbs,.mast{padding:.6rem 1rem;display:flex;gap:1rem;align-items:center}"
        "header{background:var(--a);color:#fff}header a{color:#fff}"
        ".mast{flex-direction:column;align-items:flex-start;border-bottom:3px solid var(--a)}"
        ".shell{display:flex;gap:1.5rem;padding:1rem;justify-content:center}"
        f"main{{flex:0 1 {width};background:#fff;padding:1.25rem;border-radius:var(--r);"
        "box-shadow:0 1px 4px #0002}"
        "aside{flex:0 0 13rem;display:flex;flex-direction:column;gap:.5rem}"
        f".form{{display:grid;grid-template-columns:{cols};gap:.8rem 1.2rem}}"
        ".form .full,.form .btn,.form .error,.form fieldset,.form textarea{grid-column:1/-1}"
        ".fld{display:flex;flex-direction:column;gap:.25rem}.row{flex-direction:row;gap:.5rem;"
        "align-items:center}.req::after{content:' *';color:var(--a)}"
        "input,select,textarea{font:inherit;padding:.45rem;border:1px solid #9ca3af;"
        "border-radius:var(--r)}.btn{display:inline-block;font:inherit;padding:.5rem 1rem;"
        "border:1px solid var(--a);border-radius:var(--r);background:#fff;color:var(--a);"
        "cursor:pointer;text-decoration:none}.primary{background:var(--a);color:#fff}"
        ".error{color:#b91c1c}.note{color:#6b7280}.promo{border:1px dashed var(--a);padding:.8rem;"
        "border-radius:var(--r)}table{border-collapse:collapse;width:100%}td,th{padding:.4rem;"
        "border-bottom:1px solid #e5e7eb;text-align:left}"
        ".switch[role=switch]{width:2.6rem;height:1.4rem;border-radius:1rem;border:1px solid #888}"
        "button.switch[aria-checked=true]{background:var(--a)}"
        ".menu{position:absolute;background:#fff;border:1px solid #ccc;display:flex;"
        "flex-direction:column;z-index:5}.menu button{border:0;background:none;padding:.4rem 1rem;"
        "text-align:left;cursor:pointer}.cell{position:relative}"
        ".overlay{position:fixed;inset:0;background:#0008;display:flex;align-items:center;"
        "justify-content:center;z-index:20}.dialog{background:#fff;padding:1.2rem;max-width:28rem;"
        "border-radius:var(--r)}.tabs{display:flex;gap:.4rem;margin-bottom:1rem}"
        "[role=tab][aria-selected=true]{background:var(--a);color:#fff}"
        ".steps{display:flex;gap:1rem;color:#6b7280}.steps .on{color:var(--a);font-weight:bold}"
    )


@contextmanager
def page(look: Look, title: str, heading: str, first: bool = False) -> Iterator[Doc]:
    """The whole page around the `main` content written in the with-block. `first`: the
    task's start page, the one that shows the cookie banner."""
    d = Doc()
    d.add('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
          f"<title>{html.escape(title)} — {html.escape(look.brand)}</title>",
          f"<style>{css(look)}</style></head>", f"<body{kit.attrs(data_key=look.key)}>")
    _top(d, look)
    d.open("div", cls="shell")
    if look.chrome == "sidebar":
        d.open("aside")
        for word in look.nav:
            kit.link(d, word, f"{_slug(word)}.html")
        d.close("aside")
    if look.newsletter == "aside":
        _newsletter(d, look)
    d.open("main")
    d.el("h1", heading)
    yield d
    d.close("main")
    if look.chrome == "rail":
        d.open("aside", cls="rail")
        d.el("h2", "Good to know")
        d.el("p", "Fields marked with a star are mandatory.")
        kit.link(d, words(look.split, "nav")[0], "overview.html")
        d.close("aside")
    elif look.promo:
        d.open("aside", cls="promo")
        if look.split == "train":
            d.el("h2", f"{look.brand} Plus")
            d.el("p", "Members save on every order. No commitment.")
        else:
            d.el("h2", "Community fund")
            d.el("p", "Every visit supports a local project.")
        kit.link(d, look.promo, "promo.html", cls="btn")
        d.close("aside")
    d.close("div")
    d.open("footer")
    for word in look.footer:
        kit.link(d, word, f"{_slug(word)}.html")
    if look.newsletter == "footer":
        _newsletter(d, look)
    d.el("span", f"© 2026 {look.brand}. Synthetic demo site.")
    d.close("footer")
    if first and look.cookie:
        cookie_banner(d, look)
    d.add(f"<script>{RUNTIME_JS}</script></body></html>")


def _top(d: Doc, look: Look) -> None:
    if look.chrome == "masthead":
        d.open("div", cls="mast")
        d.el("strong", look.brand)
        d.el("span", "Serving the community since 1987")
        d.open("nav")
        for word in look.nav:
            kit.link(d, word, f"{_slug(word)}.html")
        d.close("nav")
        d.close("div")
        return
    d.open("header")
    d.el("strong", look.brand)
    if look.chrome in ("topnav", "breadcrumb"):
        d.open("nav")
        for word in look.nav[: 3 if look.chrome == "breadcrumb" else None]:
            kit.link(d, word, f"{_slug(word)}.html")
        d.close("nav")
    d.close("header")
    if look.chrome == "breadcrumb":
        d.open("nav", cls="crumbs", aria_label="Breadcrumb")
        kit.link(d, words(look.split, "nav")[0], "overview.html")
        d.el("span", "›")
        d.el("span", "Current page")
        d.close("nav")


def _newsletter(d: Doc, look: Look) -> None:
    """A second, unrelated form with an email field: the task's form is not the only one."""
    with kit.form(d, "footer_newsletter", "subscribed.html", cls="news") as fid:
        d.el("strong", "Our newsletter" if look.split == "train" else "Monthly bulletin")
        kit.field(d, kit.Field("news_email", look.newsletter_label, "email"), "placeholder")
        kit.submit(d, words(look.split, "subscribe")[0], None, "button", fid)


def cookie_banner(d: Doc, look: Look) -> None:
    """A banner over the whole page: nothing under it takes a click until it is answered."""
    with d.layer("cookie"):
        d.open("div", id="cookies", cls="overlay", data_unless="consent")
        d.open("div", cls="dialog", role="dialog", aria_label="Cookie consent")
        d.el("p", f"{look.brand} uses cookies to improve your experience.")
        for i, text in enumerate(look.cookie):
            choice = "accepted" if i == 0 and len(look.cookie) == 2 else (
                "rejected" if i == 1 else "acknowledged")
            kit.action(d, text, f"cookie:{choice}", f"set:consent={choice};remove:cookies",
                       cls="btn primary" if i == 0 else "btn")
        d.close("div")
        d.close("div")


def cookie_choice(look: Look) -> tuple[str, str]:
    """(the button a privacy-minded user presses, the consent it records)."""
    if len(look.cookie) == 2:
        return look.cookie[1], "rejected"
    return look.cookie[0], "acknowledged"


def cookie_target(d: Doc, look: Look) -> Target | None:
    if not look.cookie:
        return None
    return d.targets.get(f"cookie:{cookie_choice(look)[1]}")


def _slug(word: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in word.lower()).split())
