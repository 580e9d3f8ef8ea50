"""Composed errands: one skill, "put each value the task names into the control labelled for
it, go on, report what the last page says", over forms drawn at random from a pool of field
concepts, so that no two sites share a field set, an order, a page split or a wording.

Every other training family is one kind of site (a sign-in, a checkout, a settings page); a
student that has seen only those learns their layouts. Here the kinds of control (text, email,
tel, textarea, select, radio, checkbox, a `{{secret:…}}` password field, a prefilled field to
change, optional fields to leave alone), their labels, how many pages the form spans, whether
a list comes first and whether the task asks for the reference at the end are all drawn per
seed; the task names each value by a cue that is sometimes the label, sometimes another word
for it and sometimes none (an email address speaks for itself). Wordings come from the
training vocabulary and this module's own lists: nothing a held-out family shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.families.common import (
    FormPage,
    PageFn,
    Plan,
    Query,
    Site,
    checks_for,
    form_page,
    make_spec,
    message_page,
)
from trainer.suites.synthetic.kit import Doc, Field, FieldKind
from trainer.suites.synthetic.spec import AnswerCheck, Check, FieldCheck, UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng

FAMILY, SPLIT = "errand", "train"
SUMMARY = "forms composed from a pool of field concepts over 1-3 pages, optional list first"

TOPICS = ("library card", "gym membership", "catering order", "volunteer sign-up",
          "warranty claim", "meeting room", "course enrolment", "bike repair",
          "pet registration", "parking permit", "allotment plot", "choir audition",
          "equipment loan", "tour reservation", "moving quote", "tutoring")
ITEMS = ("Starter", "Standard", "Family", "Premium", "Weekend", "Evening", "Student",
         "Flexible", "Annual", "Trial")
CHOOSE = ("Choose", "Select", "Start", "Open form", "Apply")
DONE_HEADINGS = ("Request received", "All done", "Thanks, you're set", "We have it")
NOTES = ("Please call before you come.", "The side gate is open after noon.",
         "I will bring my own tools.", "Two of us will attend.", "No nuts, please.",
         "I prefer the morning.", "Leave it at the front desk.")


@dataclass(frozen=True)
class Concept:
    """A kind of value a form asks for: labels to choose from, how a task cues it, a value."""

    key: str
    labels: tuple[str, ...]
    cues: tuple[str, ...]            # how a task names it: "{v}" alone, or with a cue
    kind: FieldKind
    value: Callable[[Rng], str]
    options: Callable[[Rng, str], tuple[str, ...]] | None = None


def _opts(pool: tuple[str, ...]) -> Callable[[Rng, str], tuple[str, ...]]:
    def draw(rng: Rng, value: str) -> tuple[str, ...]:
        others = [o for o in pool if o != value]
        chosen = rng.some(others, min(len(others), rng.randint(2, 4))) + [value]
        return tuple(o for o in pool if o in chosen)  # the pool's own order
    return draw


SIZES = ("Small", "Medium", "Large", "Extra large")
COLOURS = ("Red", "Teal", "Charcoal", "Mustard", "Ivory", "Navy")
PLANS = ("Basic", "Plus", "Pro", "Team")
DELIVERY = ("Standard post", "Express courier", "Collect in store")
LANGS = ("English", "French", "German", "Spanish", "Italian")
CONTACT = ("Email", "Phone call", "SMS")
SEATS = ("Window", "Aisle", "No preference")
TIMES = ("Morning", "Afternoon", "Evening")


CONCEPTS: tuple[Concept, ...] = (
    Concept("name", words(SPLIT, "name"), ("name {v}", "my name is {v}", "for {v}", "{v}"),
            "text", lambda r: " ".join(r.person())),
    Concept("email", words(SPLIT, "email"), ("email {v}", "reach me at {v}", "{v}"), "email",
            lambda r: r.email(*r.person())),
    Concept("phone", words(SPLIT, "phone"), ("phone {v}", "call me on {v}", "number: {v}"),
            "tel", lambda r: f"555-{r.digits(3)}-{r.digits(4)}"),
    Concept("street", words(SPLIT, "street"), ("address: {v}", "I live at {v}"), "text",
            lambda r: r.street()),
    Concept("city", words(SPLIT, "city"), ("city {v}", "in {v}"), "text", lambda r: r.city()),
    Concept("postal", words(SPLIT, "postal"), ("zip {v}", "postal code {v}"), "text",
            lambda r: r.postal()),
    Concept("company", ("Company", "Organisation", "Employer"),
            ("company: {v}", "I work for {v}"), "text", lambda r: r.brand() + " Ltd"),
    Concept("quantity", ("Quantity", "How many?", "Number of items"),
            ("quantity {v}", "{v} of them"), "text", lambda r: str(r.randint(2, 12))),
    Concept("guests", ("Guests", "Number of people", "Party size"),
            ("{v} guests", "people: {v}"), "text", lambda r: str(r.randint(2, 9))),
    Concept("when", ("Date", "Start date", "Event date", "Delivery date"),
            ("date {v}", "on {v}"), "text",
            lambda r: "2026-{:02d}-{:02d}".format(*r.date()[1:])),
    Concept("member", ("Member number", "Customer ID", "Account number"),
            ("member number {v}", "customer ID {v}", "account {v}"), "text",
            lambda r: r.code(1, 6)),
    Concept("voucher", ("Voucher code", "Promo code", "Gift card code"),
            ("voucher {v}", "code: {v}"), "text", lambda r: r.code(3, 3)),
    Concept("notes", ("Comments", "Notes", "Special requests", "Additional information"),
            ("note: {v}", 'add the comment "{v}"'), "textarea", lambda r: r.pick(NOTES)),
    Concept("size", ("Size", "Choose a size"), ("size {v}", "{v}"), "select",
            lambda r: r.pick(SIZES), _opts(SIZES)),
    Concept("colour", ("Colour", "Color", "Finish"), ("colour {v}", "in {v}"), "select",
            lambda r: r.pick(COLOURS), _opts(COLOURS)),
    Concept("plan", ("Plan", "Membership level", "Tier"), ("plan: {v}", "on the {v} plan"),
            "select", lambda r: r.pick(PLANS), _opts(PLANS)),
    Concept("lang", ("Language", "Preferred language"), ("language {v}", "in {v}"), "select",
            lambda r: r.pick(LANGS), _opts(LANGS)),
    Concept("delivery", ("Delivery", "Delivery method", "Shipping"), ("delivery: {v}", "by {v}"),
            "radio", lambda r: r.pick(DELIVERY), _opts(DELIVERY)),
    Concept("contact", ("Contact me by", "How should we contact you?"), ("contact me by {v}",),
            "radio", lambda r: r.pick(CONTACT), _opts(CONTACT)),
    Concept("seat", ("Seat", "Seating"), ("seat: {v}", "{v} seat"), "radio",
            lambda r: r.pick(SEATS), _opts(SEATS)),
    Concept("time", ("Time of day", "Preferred time of day"),
            ("in the {v}", "time of day: {v}"), "radio", lambda r: r.pick(TIMES), _opts(TIMES)),
)
TICKS = (("gift", ("Gift wrap", "Wrap it as a gift"), ("gift-wrap it", "as a gift")),
         ("updates", ("Send me updates", "Keep me informed"), ("send me updates",
                                                               "keep me informed")),
         ("reminder", ("Text me a reminder", "Remind me by SMS"), ("remind me",
                                                                   "text me a reminder")),
         ("terms", ("I accept the terms", "I agree to the rules"), ("accept the terms",
                                                                   "agree to the rules")))
SECRET_LABELS = {"password": ("Password", "Your password"),
                 "PIN": ("Account PIN", "Security code")}


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    topic = rng.pick(TOPICS)
    concepts = rng.some(CONCEPTS, rng.randint(2, 6))
    fields: list[Field] = []
    clauses: list[str] = []
    for c in concepts:
        value = c.value(rng)
        label = rng.pick(c.labels)
        prefilled = c.kind == "text" and rng.chance(0.15)
        default = c.value(rng) if prefilled else ""
        if c.kind in ("select", "radio"):
            assert c.options is not None
            options = c.options(rng, value)
            default = options[0] if c.kind == "radio" or rng.chance(0.3) else ""
            if value == default:
                value = options[-1] if options[-1] != default else options[1]
            fields.append(Field(c.key, label, c.kind, value=value, options=options,
                                default=default, required=True,
                                placeholder_option="" if default else "Please choose"))
        else:
            fields.append(Field(c.key, label, c.kind, value=value, default=default,
                                required=rng.chance(0.7), what=f"the {label.lower()}"))
        clauses.append(f"change the {label.lower()} to {value}" if prefilled
                       else rng.pick(c.cues).format(v=value))
    if rng.chance(0.4):  # an optional field the task does not mention stays as it is
        extra = rng.pick([c for c in CONCEPTS if c not in concepts and c.kind in ("text",
                                                                                "textarea")])
        fields.insert(rng.randrange(len(fields) + 1), Field(
            extra.key, rng.pick(extra.labels) + " (optional)", extra.kind, planned=False))
    for key, labels, cues in rng.some(TICKS, rng.randint(0, 2)):
        on = rng.chance(0.6)
        fields.append(Field(key, rng.pick(labels), "checkbox", value=on, planned=on))
        if on:
            clauses.append(rng.pick(cues))
    secrets: dict[str, str] = {}
    if rng.chance(0.3):
        name = rng.pick(("account_password", "member_pin", "portal_password"))
        secrets[name] = rng.digits(4) if "pin" in name else rng.password()
        word = "PIN" if "pin" in name else "password"
        secret = Field("secret", rng.pick(SECRET_LABELS[word]), "password", secret=name,
                       required=True, what=f"the {word}")
        fields.append(secret)
        clauses.append(rng.pick(("my {w} is {v}", "use {v} as the {w}", "{w} {v}")).format(
            w=word, v=secret.typed))

    n_pages = min(len(fields), rng.pick((1, 1, 2, 2, 3)))
    cuts = sorted(rng.some(range(1, len(fields)), n_pages - 1))
    groups = [fields[a:b] for a, b in zip([0, *cuts], [*cuts, len(fields)], strict=True)]
    list_first = rng.chance(0.5)
    items = rng.some(ITEMS, rng.randint(3, 5))
    item = rng.pick(items)
    choose = rng.pick(CHOOSE)
    nxt, submit = rng.pick(words(SPLIT, "next")), rng.pick(words(SPLIT, "submit"))
    start_button = rng.pick(("Start", "Begin", "Get started", "Fill in the form"))
    reference = f"{rng.code(2, 0)}-{rng.digits(5)}"
    ask = rng.chance(0.4)
    title = topic.capitalize()
    names = [f"form{n + 1}.html" for n in range(len(groups))]

    intro = rng.pick(("Fill in the form below to get started.",
                      f"Apply for your {topic} online.", "It takes about two minutes."))
    unique = rng.chance(0.5)  # else every item's link has the same text: nth tells them apart

    def index(q: Query) -> Doc:
        with chrome.page(look, title, f"{look.brand}: {topic}", first=True) as d:
            d.el("p", intro)
            if list_first:
                for i, name in enumerate(items):
                    d.open("section", cls="promo")
                    d.el("h2", f"{name} {topic}")
                    kit.link(d, choose, f"{names[0]}?o={i}", key=f"item:{i}",
                             aria_label=f"{choose} {name}" if unique else None)
                    d.close("section")
            else:
                kit.link(d, start_button, names[0], key="start", cls="btn primary")
        return d

    def form_fn(n: int) -> PageFn:
        last = n == len(groups) - 1

        def render(q: Query) -> Doc:
            after = (("Back", names[n - 1]),) if n else ()
            chosen = q.get("o", "") if q.get("o", "").isdigit() else ""
            hidden = f'<input type="hidden" name="item" value="{chosen}">'
            return form_page(look, FormPage(
                title=title, heading=f"{title} — step {n + 1} of {len(groups)}" if len(groups) > 1
                else title, fields=tuple(groups[n]), submit=submit if last else nxt,
                form=f"errand{n + 1}", next_page="done.html" if last else names[n + 1],
                after=after, extra=(lambda d: d.add(hidden)) if n == 0 and list_first else None))
        return render

    def done(q: Query) -> Doc:
        return message_page(look, "Done", done_heading,
                            [f"Reference: {reference}", f"Your {topic} request is in."],
                            [("Back to the start", "index.html")])

    pages: dict[str, PageFn] = {"index.html": index, "done.html": done}
    pages.update({name: form_fn(n) for n, name in enumerate(names)})
    plan = Plan()
    checks: list[Check] = []
    d = index({})
    plan.cookie("index.html", d, look)
    if list_first:
        link = d.targets[f"item:{items.index(item)}"]
        checks.append(FieldCheck("errand1", "item", str(items.index(item))))
        plan.click("index.html", link, f"The task wants the {item} option: click "
                   f"{link.describe()}.")
        clauses.insert(0, rng.pick((f"the {item} option", f"choose {item}", f"pick {item}")))
    else:
        plan.click("index.html", d.targets["start"], f"Open the form: click "
                   f"{d.targets['start'].describe()}.")
    for n, (name, group) in enumerate(zip(names, groups, strict=True)):
        page = f"{name}?o={items.index(item)}" if list_first and n == 0 else name
        f = pages[name]({})
        plan.fill(page, f, group)
        plan.submit(page, f, "The details on this page are in" if n < len(groups) - 1
                    else "Everything the task asks is filled in")
        checks += checks_for(f"errand{n + 1}", group)
    plan.stop("done.html", reference if ask else "",
              f"The reference is {reference}." if ask else f"The {topic} request is sent.")
    checks.append(UrlCheck("done.html"))
    if ask:
        checks.append(AnswerCheck(reference, exact=True))
    body = rng.pick((", ", "; ")).join(clauses)
    intent = rng.pick((
        "Fill in the {t} form: {b}.",
        "On {s}, apply for a {t} with {b}.",
        "Please do my {t} request for me — {b}.",
        "I need a {t}. Details: {b}.",
    )).format(t=topic, b=body, s=look.brand)
    if ask:
        intent += rng.pick((" Tell me the reference.", " What reference do I get?"))
    done_heading = rng.pick(DONE_HEADINGS)  # drawn last: every draw above stays as it was
    variant = {"pages": str(len(groups)), "list": str(list_first), "ask": str(ask),
               "secret": str(bool(secrets))}
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, secrets, variant),
                pages, look)
