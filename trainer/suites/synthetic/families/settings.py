"""Settings: sections shown as tabs, accordions or plain headings; switches, checkboxes,
selects and radios; a Save button. The task changes two to four of them across sections."""

from __future__ import annotations

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.families.common import Plan, Query, Site, checks_for, make_spec
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import Check, Target, UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng

FAMILY, SPLIT = "settings", "train"
SUMMARY = "settings with tabs / accordions / sections, toggles, selects, radios and Save"

# section -> settings: (key, label, kind, options); a toggle's options are empty
SECTIONS: dict[str, tuple[tuple[str, str, str, tuple[str, ...]], ...]] = {
    "Notifications": (("n_email", "Email notifications", "toggle", ()),
                      ("n_push", "Push notifications", "toggle", ()),
                      ("n_digest", "Weekly digest", "toggle", ()),
                      ("n_news", "Product announcements", "toggle", ()),
                      ("n_channel", "Send alerts by", "select", ("Email", "SMS", "App only"))),
    "Privacy": (("p_public", "Show my profile publicly", "toggle", ()),
                ("p_usage", "Share usage data", "toggle", ()),
                ("p_index", "Let search engines find me", "toggle", ()),
                ("p_msg", "Who can message me", "select", ("Everyone", "Contacts only", "Nobody"))),
    "General": (("g_lang", "Language", "select", ("English", "Deutsch", "Español", "Français",
                                                  "Italiano")),
                ("g_tz", "Time zone", "select", ("UTC−05:00", "UTC+00:00", "UTC+01:00",
                                                 "UTC+09:00")),
                ("g_theme", "Theme", "radio", ("Light", "Dark", "System"))),
    "Accessibility": (("a_motion", "Reduce motion", "toggle", ()),
                      ("a_size", "Text size", "select", ("Small", "Medium", "Large")),
                      ("a_contrast", "High contrast", "toggle", ())),
}
STYLES = ("tabs", "accordion", "sections")


def _describe(f: Field, rng: Rng) -> str:
    label = f"'{f.label}'" if rng.chance(0.5) else f.label
    if f.kind in ("switch", "checkbox"):
        verb = rng.pick(("turn on", "enable", "switch on")) if f.value else \
            rng.pick(("turn off", "disable", "switch off"))
        return f"{verb} {label}"
    if f.kind == "radio":
        return f"choose the {f.value} {label.lower()}"
    return f"set {label} to {f.value}"


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    style = rng.pick(STYLES)
    names = rng.some(tuple(SECTIONS), rng.randint(2, 4))
    toggle_kind = rng.pick(("switch", "checkbox"))
    sections: list[tuple[str, list[Field]]] = []
    for section in names:
        fields = []
        for key, label, kind, options in SECTIONS[section]:
            if kind == "toggle":
                fields.append(Field(key, label, toggle_kind, default=rng.chance(0.5)))
            else:
                fields.append(Field(key, label, kind, options=options, default=rng.pick(options)))
        sections.append((section, fields))
    pool = [f for _, fields in sections for f in fields]
    chosen = {f.key for f in rng.some(pool, rng.randint(2, min(4, len(pool))))}
    for _, fields in sections:
        for i, f in enumerate(fields):
            if f.key not in chosen:
                fields[i] = Field(f.key, f.label, f.kind, value=f.default, options=f.options,
                                  default=f.default, planned=False)
            elif f.kind in ("switch", "checkbox"):
                fields[i] = Field(f.key, f.label, f.kind, value=not f.default, default=f.default)
            else:
                value = rng.pick([o for o in f.options if o != f.default])
                fields[i] = Field(f.key, f.label, f.kind, value=value, options=f.options,
                                  default=f.default)
    save_text = rng.pick(words(SPLIT, "save"))
    heading = rng.pick(("Settings", "Account settings", "Preferences", "Your preferences"))

    saved_text = rng.pick(("Your settings have been saved.", "Changes saved.",
                          "Preferences updated."))
    def index(q: Query) -> Doc:
        with chrome.page(look, "Settings", heading, first=True) as d:
            if q.get("saved"):
                d.el("p", saved_text, role="status")
            with kit.form(d, "settings", "index.html?saved=1", cls="settings",
                          restore=True) as fid:
                _sections(d, look, style, sections)
                kit.submit(d, save_text, "submit", look.button, fid)
        return d

    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    for s, (section, fields) in enumerate(sections):
        todo = [f for f in fields if f.planned]
        if not todo:
            continue
        first_target = _target(d, todo[0])
        opener = d.targets.get(f"open:{s}")
        if opener is not None and not (style == "tabs" and s == 0):
            plan.click("index.html", opener, f"The {section} settings are behind "
                       f"{opener.describe()}: open it.", effect="reveal", reveals=first_target)
        plan.fill("index.html", d, todo)
    plan.guard("index.html", d, [f for _, fs in sections for f in fs])
    plan.submit("index.html", d, "All the changes are made")
    plan.stop("index.html?saved=1", "", "The settings are saved.")
    changes = [_describe(f, rng) for _, fields in sections for f in fields if f.planned]
    listed = ", ".join(changes[:-1]) + f" and {changes[-1]}"
    intent = rng.pick(("In the settings, {c}. Save when you're done.", "Please {c}, then save.",
                       "Could you {c}? Don't forget to save.", "Update my preferences: {c}."))
    intent = intent.format(c=listed)
    intent = intent[0].upper() + intent[1:]
    checks: list[Check] = checks_for("settings", [f for _, fs in sections for f in fs])
    checks.append(UrlCheck("index.html?saved=1"))
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {},
                          {"style": style, "toggle": toggle_kind, "sections": str(len(names))}),
                {"index.html": index}, look)


def _target(d: Doc, f: Field) -> Target:
    return d.targets[f"{f.key}={f.value}" if f.kind == "radio" else f.key]


def _sections(d: Doc, look: chrome.Look, style: str,
              sections: list[tuple[str, list[Field]]]) -> None:
    if style == "tabs":
        d.open("div", data_tabs=True)
        d.open("div", role="tablist", cls="tabs")
        for s, (section, _) in enumerate(sections):
            d.el("button", section, type="button", role="tab", aria_selected=str(s == 0).lower(),
                 aria_controls=f"panel{s}", data_do=f"tab:panel{s}", cls="btn")
            d.control("tab", section, f"open:{s}")
        d.close("div")
    for s, (section, fields) in enumerate(sections):
        if style == "tabs":
            d.open("div", role="tabpanel", id=f"panel{s}", aria_label=section, hidden=s != 0)
        elif style == "accordion":
            d.el("button", section, type="button", aria_expanded="false",
                 aria_controls=f"panel{s}", data_do=f"open:panel{s}", cls="btn full")
            d.control("button", section, f"open:{s}")
            d.open("div", id=f"panel{s}", hidden=True)
        else:
            d.el("h2", section)
            d.open("div")
        with d.layer(f"panel{s}"):
            for f in fields:
                kit.field(d, f, look.mech, look.switch)
        d.close("div")
    if style == "tabs":
        d.close("div")
