"""Modal dialogs: confirm a removal, type a word to confirm a deletion, edit a value in a
dialog form, or close a promotion that covers the page before doing the task."""

from __future__ import annotations

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.families.common import Plan, Query, Site, make_spec
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import Check, FieldCheck, LogCheck, UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng

FAMILY, SPLIT = "modal", "train"
SUMMARY = "confirm / typed-confirm / form dialogs and a promo modal to close first"

DEVICES = ("Kitchen tablet", "Work laptop", "Living room TV", "Old phone", "Car display",
           "Studio desktop", "Travel tablet")
BOOKS = ("The Salt Road", "Paper Lanterns", "A Map of Rain", "Nine Small Fires",
         "The Quiet Harbor", "Glass Orchard", "Winter Tides")
VARIANTS = ("confirm", "typed", "form", "promo")


def _overlay(d: Doc, did: str, label: str, hidden: bool = True, unless: str | None = None) -> None:
    d.open("div", id=did, cls="overlay", hidden=hidden, data_unless=unless)
    d.open("div", cls="dialog", role="dialog", aria_modal="true", aria_label=label)


def _end_overlay(d: Doc) -> None:
    d.close("div")
    d.close("div")


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    variant = rng.pick(VARIANTS)
    cancel = rng.pick(words(SPLIT, "cancel"))
    plan = Plan()
    checks: list[Check] = []
    if variant in ("confirm", "promo"):
        rows = rng.some(DEVICES if variant == "confirm" else BOOKS, rng.randint(3, 5))
        target = rng.randrange(len(rows))
        verb = rng.pick(("Remove", "Sign out")) if variant == "confirm" else \
            rng.pick(("Renew", "Extend loan"))
        heading = "Signed-in devices" if variant == "confirm" else "Your loans"
        confirm = rng.pick(("Yes, remove", "Remove device", "Confirm", "Sign it out"))
        promo_close = rng.pick(("No thanks", "Close", "Maybe later", "×"))
        code = rng.code(3, 2)

        def index(q: Query) -> Doc:
            with chrome.page(look, heading, heading, first=True) as d:
                if q.get("done"):
                    d.el("p", f"{verb} done.", role="status")
                if variant == "promo":
                    with d.layer("promo"):
                        _overlay(d, "promo", "Special offer", hidden=False, unless="promo")
                        d.el("h2", f"Get 20% off with code {code}")
                        d.el("p", "Join the reading club this week only.")
                        kit.link(d, "Join the club", "club.html")
                        kit.action(d, promo_close, "promo:close", "set:promo=closed;remove:promo",
                                   aria_label="Close" if promo_close == "×" else None)
                        _end_overlay(d)
                d.open("table")
                for i, row in enumerate(rows):
                    d.add("<tr>")
                    d.el("td", row)
                    d.el("td", f"Due in {i + 3} days" if variant == "promo" else
                         f"Last active {i + 1} h ago")
                    d.open("td")
                    do = f"show:dlg{i}" if variant == "confirm" else \
                        f"log:renew:{i};go:index.html?done=1"
                    kit.action(d, verb, f"act:{i}", do)
                    d.close("td")
                    d.add("</tr>")
                d.close("table")
                if variant == "confirm":
                    for i, row in enumerate(rows):
                        with d.layer(f"dlg{i}"):
                            _overlay(d, f"dlg{i}", f"{verb} {row}?")
                            d.el("p", f"{verb} “{row}”? It will need to sign in again.")
                            kit.action(d, confirm, f"confirm:{i}",
                                       f"log:remove:{i};go:index.html?done=1", cls="btn primary")
                            kit.action(d, cancel, None, f"hide:dlg{i}")
                            _end_overlay(d)
            return d

        d = index({})
        plan.cookie("index.html", d, look)
        act = d.targets[f"act:{target}"]
        if variant == "promo":
            close = d.targets["promo:close"]
            plan.add("index.html", "click", close, f"A promotion covers the page: close it "
                     f"with {close.describe()}.", effect="dismiss")
            plan.click("index.html", act, f"Click {act.describe()} in the row of "
                       f"'{rows[target]}'.")
            checks.append(LogCheck((f"renew:{target}",)))
            intent = rng.pick(("Renew my loan of “{r}”.", "Extend the due date of {r}.",
                               "Please renew the book {r}."))
        else:
            ok = d.targets[f"confirm:{target}"]
            plan.click("index.html", act, f"Click {act.describe()} in the row of "
                       f"'{rows[target]}'.", effect="reveal", reveals=ok)
            plan.click("index.html", ok, f"Confirm in the dialog: click {ok.describe()}.")
            checks.append(LogCheck((f"remove:{target}",)))
            intent = rng.pick(("Sign the device “{r}” out of my account.",
                               "Remove {r} from my signed-in devices.",
                               "I lost my {r}; remove it from the account."))
        intent = intent.format(r=rows[target])
        done_page = "index.html?done=1"
        pages = {"index.html": index}
    else:
        name = rng.pick(("Harbor Studio", "Team Falcon", "Orchard Labs", "North Desk"))
        phone_old, phone_new = f"555-01{rng.digits(2)}", f"555-01{rng.digits(2)}"
        while phone_new == phone_old:
            phone_new = f"555-0{rng.digits(3)}"
        word = rng.pick(("DELETE", name))
        opener_text = rng.pick(("Delete workspace", "Delete this workspace")) \
            if variant == "typed" else rng.pick(("Edit phone number", "Change phone"))
        box_label = rng.pick(("Confirmation", "Type to confirm")) if variant == "typed" else \
            rng.pick(words(SPLIT, "phone"))
        submit_text = rng.pick(("Delete forever", "I understand, delete")) \
            if variant == "typed" else rng.pick(words(SPLIT, "save"))
        heading = f"Workspace: {name}" if variant == "typed" else "Your profile"

        dialog_mech = rng.pick(("for", "aria", "placeholder"))
        def index(q: Query) -> Doc:
            with chrome.page(look, heading, heading, first=True) as d:
                if q.get("done"):
                    d.el("p", "Done: your change was applied.", role="status")
                if variant == "typed":
                    d.el("p", "Members: 6 · Plan: Team")
                else:
                    d.el("p", f"Phone: {phone_old}")
                kit.action(d, opener_text, "open", "show:dlg", cls="btn primary")
                with d.layer("dlg"):
                    _overlay(d, "dlg", opener_text)
                    if variant == "typed":
                        d.el("p", f"This deletes every file. To confirm, type “{word}” below.")
                    form = "confirm" if variant == "typed" else "phone"
                    with kit.form(d, form, "index.html?done=1") as fid:
                        kind = "tel" if variant == "form" else "text"
                        kit.field(d, Field("text", box_label, kind,
                                           default="" if variant == "typed" else phone_old,
                                           expect=word if variant == "typed" else "",
                                           required=True), dialog_mech)
                        kit.submit(d, submit_text, "submit", "button", fid)
                        kit.action(d, cancel, None, "hide:dlg")
                    _end_overlay(d)
            return d

        d = index({})
        plan.cookie("index.html", d, look)
        opener, box, submit = d.targets["open"], d.targets["text"], d.targets["submit"]
        value = word if variant == "typed" else phone_new
        plan.click("index.html", opener, f"Open the dialog with {opener.describe()}.",
                   effect="reveal", reveals=box)
        plan.add("index.html", "type", box, f"Type '{value}' into {box.describe()}.", text=value)
        plan.click("index.html", submit, f"Confirm: click {submit.describe()}.")
        form = "confirm" if variant == "typed" else "phone"
        checks.append(FieldCheck(form, "text", value))
        if variant == "typed":
            intent = rng.pick(("Delete the workspace {n}. Confirm by typing {w} when asked.",
                               "Remove the {n} workspace for good (the confirmation word is "
                               "{w}).", "Please delete workspace “{n}”; type “{w}” to confirm."))
        else:
            intent = rng.pick(("Change my phone number to {p}.", "Update the phone on my "
                               "profile to {p}.", "My new number is {p}; please save it."))
        intent = intent.format(n=name, w=word, p=phone_new)
        done_page = "index.html?done=1"
        pages = {"index.html": index}
    plan.stop(done_page, "", "The change is done.")
    checks.append(UrlCheck(done_page))
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {}, {"variant": variant}),
                pages, look)
