"""HELD OUT. Appointment booking: pick a service, then a date text field, a drop-down of time
slots, a radio for the kind of visit and the patient's details; sometimes the task asks for
the booking reference shown at the end."""

from __future__ import annotations

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.families.common import (
    FormPage,
    Plan,
    Query,
    Site,
    checks_for,
    form_page,
    make_spec,
    message_page,
    numbered,
)
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import AnswerCheck, Check, FieldCheck, UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import MONTHS, Rng

FAMILY, SPLIT = "booking", "heldout"
SUMMARY = "service choice, date text field, time-slot select, visit-kind radio, reference"

SERVICES = ("Dental check-up", "Eye examination", "Physiotherapy session", "Hearing test",
            "Vaccination", "Nutrition consultation", "Skin check")
PICK = ("Schedule", "Reserve a slot", "Pick this service")
KINDS = ("In person", "Video call", "Telephone")
SUBMIT = ("Reserve", "Book now", "Request appointment", "Secure my slot")
DATE_LABELS = ("Preferred date", "Day of the visit", "Appointment date")
SLOT_LABELS = ("Time slot", "Preferred time", "Arrival time")
KIND_LABELS = ("Type of visit", "How would you like to be seen?", "Consultation mode")


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    clinic = f"{rng.city()} Health Centre"
    services = rng.some(SERVICES, rng.randint(3, 5))
    service = rng.randrange(len(services))
    pick = rng.pick(PICK)
    year, month, day = rng.date()
    iso_style = rng.chance(0.5)
    date_text = f"{year}-{month:02d}-{day:02d}" if iso_style else f"{day:02d}/{month:02d}/{year}"
    spoken = f"{day} {MONTHS[month - 1]} {year}"
    slots = [f"{h:02d}:{m}" for h in range(8, 17) for m in ("00", "30")]
    slots = slots[rng.randint(0, 4)::rng.randint(2, 3)][:8]
    slot = rng.pick(slots)
    kind = rng.pick(KINDS)
    first, last = rng.person()
    phone = f"0{rng.digits(3)} {rng.digits(3)} {rng.digits(3)}"
    reference = f"BK-{rng.digits(5)}"
    ask_ref = rng.chance(0.4)
    fields = [
        Field("date", rng.pick(DATE_LABELS), value=date_text, required=True,
              hint="YYYY-MM-DD" if iso_style else "DD/MM/YYYY", what="the date",
              note="Format: " + ("YYYY-MM-DD" if iso_style else "DD/MM/YYYY")),
        Field("slot", rng.pick(SLOT_LABELS), "select", value=slot, options=tuple(slots),
              placeholder_option="-- pick a time --", required=True),
        Field("kind", rng.pick(KIND_LABELS), "radio", value=kind, options=KINDS, required=True),
        Field("name", rng.pick(words(SPLIT, "name")), value=f"{first} {last}", required=True,
              autocomplete="name", what="the patient's name"),
        Field("phone", rng.pick(words(SPLIT, "phone")), "tel", value=phone, required=True,
              autocomplete="tel", what="the phone number"),
        Field("notes", rng.pick(("Anything we should know?", "Remarks")), "textarea",
              planned=False),
    ]
    if rng.chance(0.4):
        fields[0], fields[1] = fields[1], fields[0]
    submit = rng.pick(SUBMIT)
    unique_links = rng.chance(0.5)  # else every service has the same link text: nth counts

    def index(q: Query) -> Doc:
        with chrome.page(look, "Appointments", f"{clinic}: appointments", first=True) as d:
            d.el("p", "Choose what you would like to come in for.")
            for i, name in enumerate(services):
                d.open("section", cls="promo")
                d.el("h2", name)
                d.el("p", f"{20 + 10 * i} minutes")
                kit.link(d, pick, f"book.html?s={i}", key=f"pick:{i}",
                         aria_label=f"{pick}: {name}" if unique_links else None)
                d.close("section")
        return d

    def book(q: Query) -> Doc:
        i = numbered(q, len(services), "s")
        spec = FormPage(title="Your visit", heading=f"Book: {services[i]}",
                        fields=tuple(fields), submit=submit, form="booking",
                        next_page="booked.html", intro=f"{clinic} · {services[i]}",
                        extra=lambda d: d.add(f'<input type="hidden" name="service" value="{i}">'))
        return form_page(look, spec)

    def booked(q: Query) -> Doc:
        return message_page(look, "Booked", "Your appointment is reserved",
                            [f"Booking reference: {reference}",
                             "We will text you a reminder the day before."],
                            [("Manage bookings", "bookings.html")])

    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    link = d.targets[f"pick:{service}"]
    plan.click("index.html", link, f"Choose {services[service]}: click {link.describe()}.")
    page = f"book.html?s={service}"
    b = book({"s": str(service)})
    plan.fill(page, b, fields)
    plan.submit(page, b, "The booking form is complete")
    plan.stop("booked.html", reference if ask_ref else "",
              f"The booking reference is {reference}." if ask_ref else "The visit is booked.")
    checks: list[Check] = checks_for("booking", fields)
    checks += [FieldCheck("booking", "service", str(service)), UrlCheck("booked.html")]
    if ask_ref:
        checks.append(AnswerCheck(reference, exact=True))
    when = date_text if rng.chance(0.7) else spoken
    intent = rng.pick((
        "Book {a} {s} for {n} on {w} at {t}, {k}; phone {p}.",
        "I need an appointment: {s}, {w}, {t}, as {ka} {kl} visit. Name {n}, telephone {p}.",
        "Arrange {a} {s} at {c} on {w} ({t}, {kl}) for {n}, reachable on {p}.",
    )).format(s=services[service].lower(), n=f"{first} {last}", w=when, t=slot,
              a="an" if services[service][0] in "AEIOU" else "a",
              ka="an" if kind[0] in "AEIOU" else "a",
              k=kind.lower(), kl=kind.lower(), p=phone, c=clinic)
    if when == spoken:
        intent += f" Enter the date as {'YYYY-MM-DD' if iso_style else 'DD/MM/YYYY'}."
    if ask_ref:
        intent += rng.pick((" Which booking reference do I get?", " Tell me the reference."))
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {},
                          {"date": "iso" if iso_style else "dmy", "ask": str(ask_ref)}),
                {"index.html": index, "book.html": book, "booked.html": booked}, look)
