"""Edit forms that already hold the current values: a profile, a shipping address, a company's
billing details. The task changes one to three of them; every other field must keep what it
shows. Half the seeds start on an overview of the current values with the edit link among
others; the rest start on the form itself.

What it teaches that the blank forms of the other families do not: on a form where every field
is already filled, the new value goes into the field whose label it belongs to, not into the
first one, and the fields the task does not name are left alone (a student measured on the
practice account site typed a new street address into 'Full name')."""

from __future__ import annotations

from collections.abc import Callable

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.families.common import (
    FormPage,
    Plan,
    Query,
    Site,
    checks_for,
    details,
    form_page,
    make_spec,
    message_page,
)
from trainer.suites.synthetic.kit import Doc, Field, FieldKind
from trainer.suites.synthetic.spec import Check, UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng

FAMILY, SPLIT = "profile", "train"
SUMMARY = "an edit form prefilled with the current values; change one to three, keep the rest"

Gen = Callable[[Rng], str]


def _phone(r: Rng) -> str:
    return f"+1 {r.digits(3)} 555 {r.digits(4)}"


def _email(r: Rng) -> str:
    return r.email(*r.person())


# kind -> (headings, fields: (key, labels, input kind, autocomplete, how the task names it, gen))
KINDS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...], FieldKind, str, str,
                                                    Gen], ...]]] = {
    "profile": (("Edit profile", "Your details", "Personal information", "My profile"), (
        ("name", words(SPLIT, "name"), "text", "name", "name",
         lambda r: " ".join(r.person())),
        ("email", words(SPLIT, "email"), "email", "email", "email address", _email),
        ("phone", words(SPLIT, "phone"), "tel", "tel", "phone number", _phone),
        ("street", words(SPLIT, "street"), "text", "street-address", "street address",
         lambda r: r.street()),
        ("city", words(SPLIT, "city"), "text", "address-level2", "city", lambda r: r.city()),
        ("postal", words(SPLIT, "postal"), "text", "postal-code", "postal code",
         lambda r: r.postal()),
    )),
    "shipping": (("Shipping address", "Delivery address", "Edit address"), (
        ("recipient", ("Recipient", "Deliver to", "Addressee"), "text", "name", "recipient",
         lambda r: " ".join(r.person())),
        ("street", words(SPLIT, "street"), "text", "address-line1", "street",
         lambda r: r.street()),
        ("extra", ("Apartment, suite, etc.", "Address line 2", "Flat / unit"), "text",
         "address-line2", "apartment", lambda r: f"Apt {r.randint(1, 40)}"),
        ("city", words(SPLIT, "city"), "text", "address-level2", "city", lambda r: r.city()),
        ("postal", words(SPLIT, "postal"), "text", "postal-code", "ZIP code",
         lambda r: r.postal()),
        ("phone", ("Delivery phone", "Phone for the courier", "Contact phone"), "tel", "tel",
         "delivery phone", _phone),
    )),
    "company": (("Company details", "Billing details", "Organisation"), (
        ("company", ("Company name", "Business name", "Organisation name"), "text",
         "organization", "company name", lambda r: r.brand() + " Ltd"),
        ("vat", ("VAT number", "Tax ID", "VAT ID"), "text", "", "VAT number",
         lambda r: f"EU{r.digits(9)}"),
        ("billing", ("Billing email", "Invoice email", "Accounts email"), "email", "email",
         "billing email", _email),
        ("contact", ("Contact person", "Main contact", "Account holder"), "text", "name",
         "contact person", lambda r: " ".join(r.person())),
        ("phone", words(SPLIT, "phone"), "tel", "tel", "phone number", _phone),
        ("city", words(SPLIT, "city"), "text", "address-level2", "city", lambda r: r.city()),
    )),
}
EDIT_LINKS = ("Edit", "Edit details", "Change", "Update details", "Edit profile", "Modify")
OTHER_LINKS = ("Change password", "Download my data", "Delete account", "Sign out",
               "Order history", "Payment methods")
SAVED = ("Your changes were saved.", "Details updated.", "Saved. Thank you!")
ONE = ("Change my {what} to {new}.", "Update the {what} on my account to {new}.",
       "My {what} is now {new}; please update it.", "Set the {what} to {new} and save.")
MANY = ("Update these: {list}.", "Please change {list}, then save.",
        "On my details, change {list}.", "Edit the details: set {list}. Save it.")


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    kind = rng.pick(tuple(KINDS))
    headings, specs = KINDS[kind]
    shown = list(specs)
    if rng.chance(0.5):  # field order varies: swap two neighbours
        i = rng.randint(0, len(shown) - 2)
        shown[i], shown[i + 1] = shown[i + 1], shown[i]
    shown = shown[:rng.randint(4, len(shown))]
    changed = {s[0] for s in rng.some(shown, rng.randint(1, min(3, len(shown))))}
    fields: list[Field] = []
    told: list[tuple[str, str]] = []  # (how the task names it, new value)
    for key, labels, input_kind, auto, what, gen in shown:
        current = gen(rng)
        label = rng.pick(labels)
        if key in changed:
            new = rng.unique(lambda g=gen: g(rng), 3)  # type: ignore[misc]
            value = next(v for v in new if v != current)
            fields.append(Field(key, label, input_kind, value=value, default=current,
                                autocomplete=auto, what=f"the new {what}"))
            told.append((what, value))
        else:
            fields.append(Field(key, label, input_kind, value=current, default=current,
                                autocomplete=auto, planned=False))
    if len(told) == 1:
        intent = rng.pick(ONE).format(what=told[0][0], new=told[0][1])
    else:
        parts = [f"the {what} to {new}" for what, new in told]
        listed = ", ".join(parts[:-1]) + f" and {parts[-1]}"
        intent = rng.pick(MANY).format(list=listed)
    heading = rng.pick(headings)
    save = rng.pick(words(SPLIT, "save"))
    form_spec = FormPage(title=heading, heading=heading, fields=tuple(fields), submit=save,
                         form=kind, next_page="saved.html",
                         intro=rng.pick(("", "Check your details and save.",
                                         "Changes apply to future orders.")),
                         after=((rng.pick(words(SPLIT, "cancel")), "index.html"),))
    overview = rng.chance(0.5)
    account_heading = rng.pick(("My account", "Account overview", "Your account"))
    links = [(rng.pick(EDIT_LINKS), "edit.html", "edit")] + [
        (t, "other.html", None) for t in rng.some(OTHER_LINKS, rng.randint(1, 3))]
    links = rng.some(links, len(links))  # the edit link anywhere among them
    style = rng.pick(("table", "list", "grid", "lines"))
    saved_heading = rng.pick(("All set", "Saved", "Updated"))
    saved_text = rng.pick(SAVED)
    form_name = "edit.html" if overview else "index.html"

    def index(q: Query) -> Doc:
        if not overview:
            return form_page(look, form_spec, first=True)
        with chrome.page(look, "Account", account_heading, first=True) as d:
            details(d, {f.label: str(f.default) for f in fields}, style)
            for text, href, key in links:
                kit.link(d, text, href, key=key)
        return d

    def edit(q: Query) -> Doc:
        return form_page(look, form_spec)

    def saved(q: Query) -> Doc:
        return message_page(look, "Saved", saved_heading, [saved_text],
                            [("Back to my account", "index.html")])

    def other(q: Query) -> Doc:
        return message_page(look, "Not here", "Nothing to change here",
                            ["This page is not part of your details."], [("Back", "index.html")])

    plan = Plan()
    start = index({})
    plan.cookie("index.html", start, look)
    if overview:
        plan.click("index.html", start.targets["edit"],
                   f"The details are changed on their form: click "
                   f"{start.targets['edit'].describe()}.")
    d = edit({}) if overview else start
    plan.fill(form_name, d, fields)
    plan.submit(form_name, d, "The new values are in their fields")
    plan.stop("saved.html", "", "The details are saved.")
    checks: list[Check] = checks_for(kind, fields)
    checks.append(UrlCheck("saved.html"))
    pages = {"index.html": index, "saved.html": saved, "other.html": other}
    if overview:
        pages["edit.html"] = edit
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {},
                          {"kind": kind, "start": "overview" if overview else "form"}),
                pages, look)
