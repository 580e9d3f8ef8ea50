"""Cookie banners that cover the page until answered: accept, reject, or set preferences as
the task says (or, when it says nothing, the privacy-minded choice), then the real task:
open a store's page and read its opening hours for a day."""

from __future__ import annotations

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.families.common import Plan, Query, Site, make_spec, numbered
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import AnswerCheck, Check, FieldCheck, StateCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng

FAMILY, SPLIT = "cookie", "train"
SUMMARY = "a covering cookie banner (accept / reject / preferences), then a store's hours"

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MODES = ("reject", "accept", "prefs", "silent")
CATEGORIES = ("Functional", "Analytics", "Marketing")
PREFS = ("Manage preferences", "Customize", "Cookie settings", "Let me choose")
SAVE_PREFS = ("Save preferences", "Save my choices", "Confirm choices")


def _hours(rng: Rng) -> list[str]:
    out = []
    for day in DAYS:
        if day == "Sunday" and rng.chance(0.5):
            out.append("Closed")
            continue
        start, end = rng.randint(7, 10), rng.randint(16, 21)
        out.append(f"{start}:{rng.pick(('00', '30'))}–{end}:{rng.pick(('00', '30'))}")
    return out


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT, cookie=0.0)
    mode = rng.pick(MODES)
    accept = rng.pick(words(SPLIT, "cookie_accept"))
    reject = rng.pick(words(SPLIT, "cookie_reject"))
    prefs_text, save_text = rng.pick(PREFS), rng.pick(SAVE_PREFS)
    wanted = rng.pick(CATEGORIES)
    position = rng.pick(("top", "bottom"))  # where the banner sits in the document
    stores = [rng.city() for _ in range(rng.randint(3, 6))]
    stores = list(dict.fromkeys(stores))
    hours = [_hours(rng) for _ in stores]
    target = rng.randrange(len(stores))
    day = rng.randrange(len(DAYS))

    banner_title = rng.pick(("We value your privacy", "Cookies on this site", "Your choices"))

    heading = rng.pick(("Our stores", "Find a store", "Locations"))

    street = rng.street()
    def banner(d: Doc) -> None:
        with d.layer("cookie"):
            d.open("div", id="cookies", cls="overlay", data_unless="consent")
            d.open("div", cls="dialog", role="dialog", aria_label="Privacy choices")
            d.el("h2", banner_title)
            d.el("p", "We and our partners use cookies to run the site and measure visits.")
            kit.action(d, accept, "accept", "set:consent=accepted;remove:cookies",
                       cls="btn primary")
            kit.action(d, reject, "reject", "set:consent=rejected;remove:cookies")
            kit.action(d, prefs_text, "prefs", "open:prefs", aria_expanded="false")
            d.open("div", id="prefs", hidden=True)
            with kit.form(d, "cookies", "index.html", sets="consent=custom") as fid:
                d.add("<p>Strictly necessary cookies are always on.</p>")
                for c in CATEGORIES:
                    kit.field(d, Field(c.lower(), f"{c} cookies", "switch"), "for", look.switch)
                kit.submit(d, save_text, "save", "button", fid)
            d.close("div")
            d.close("div")
            d.close("div")

    def index(q: Query) -> Doc:
        with chrome.page(look, "Stores", heading, first=True) as d:
            if position == "top":
                banner(d)
            d.el("p", "Find a store near you.")
            d.open("ul")
            for i, store in enumerate(stores):
                d.open("li")
                kit.link(d, f"{store} store", f"store.html?id={i}", key=f"store:{i}")
                d.close("li")
            d.close("ul")
            if position == "bottom":
                banner(d)
        return d

    def store(q: Query) -> Doc:
        i = numbered(q, len(stores))
        with chrome.page(look, stores[i], f"{stores[i]} store") as d:
            d.el("p", f"{street}, {stores[i]}")
            d.open("table")
            d.add("<tr><th>Day</th><th>Opening hours</th></tr>")
            for name, value in zip(DAYS, hours[i], strict=True):
                d.add(f"<tr><td>{name}</td><td>{value}</td></tr>")
            d.close("table")
            kit.link(d, "All stores", "index.html")
        return d

    plan = Plan()
    d = index({})
    checks: list[Check] = []
    if mode == "prefs":
        switch = d.targets[wanted.lower()]
        plan.click("index.html", d.targets["prefs"], f"Open the cookie choices: click "
                   f"{d.targets['prefs'].describe()}.", effect="reveal", reveals=switch)
        plan.add("index.html", "click", switch, f"Allow only {wanted.lower()} cookies: turn "
                 f"on {switch.describe()}.", checked=True)
        plan.add("index.html", "click", d.targets["save"], f"Save the choice: click "
                 f"{d.targets['save'].describe()}.", effect="dismiss", gone=d.targets["accept"])
        checks += [StateCheck("consent", "custom")] + [
            FieldCheck("cookies", c.lower(), c == wanted) for c in CATEGORIES]
    else:
        key = "accept" if mode == "accept" else "reject"
        button = d.targets[key]
        why = "as the task says" if mode != "silent" else "the privacy-friendly choice"
        plan.add("index.html", "click", button, f"A cookie banner covers the page: click "
                 f"{button.describe()} ({why}).", effect="dismiss")
        if mode != "silent":
            checks.append(StateCheck("consent", "accepted" if mode == "accept" else "rejected"))
    link = d.targets[f"store:{target}"]
    plan.click("index.html", link, f"Open {link.describe()}.")
    answer = hours[target][day]
    plan.stop(f"store.html?id={target}", answer,
              f"The {stores[target]} store's hours on {DAYS[day]}: {answer}.")
    checks.append(AnswerCheck(answer))
    question = rng.pick(("what are the opening hours of the {s} store on {d}?",
                         "when is the {s} store open on {d}?",
                         "tell me the {d} hours of the {s} store."))
    lead = {"reject": rng.pick(("Reject the optional cookies. ", "Decline cookies. ")),
            "accept": rng.pick(("Accept the cookies. ", "Allow all cookies. ")),
            "prefs": rng.pick((f"Allow only {wanted.lower()} cookies. ",
                               f"In the cookie settings, enable just {wanted.lower()} cookies. ")),
            "silent": ""}[mode]
    question = question.format(s=stores[target], d=DAYS[day])
    intent = lead + question[0].upper() + question[1:]
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {},
                          {"mode": mode, "position": position}),
                {"index.html": index, "store.html": store}, look)
