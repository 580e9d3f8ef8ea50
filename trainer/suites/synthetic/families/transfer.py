"""HELD OUT. Bank transfer: accounts overview -> transfer form (source account and payee
drop-downs, amount, reference) -> review with a `{{secret:…}}` PIN -> confirmation."""

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
)
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import AnswerCheck, Check, UrlCheck
from trainer.suites.synthetic.words import Rng, money

FAMILY, SPLIT = "transfer", "heldout"
SUMMARY = "payee select, amount, reference, review page with a secret PIN"

ACCOUNTS = ("Daily Spending", "Rainy-Day Reserve", "Household Pot", "Goal Saver", "Salary Inbox")
PAYEES = ("Larkspur Utilities", "Orchard Dental", "Tidewater Rentals", "Moss & Pine Insurance",
          "Copperfield School", "Harborline Telecom")
START = ("Send money", "Make a payment", "New transfer")
REVIEW = ("Review", "Proceed", "Check details")
AUTHORIZE = ("Authorize", "Approve payment", "Release funds")
PIN_LABELS = ("Transaction PIN", "Approval PIN", "Payment PIN")


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    bank = rng.brand() + " Bank"
    accounts = rng.some(ACCOUNTS, rng.randint(2, 4))
    balances = [rng.cents(200, 9000) for _ in accounts]
    source = rng.randrange(len(accounts))
    payees = rng.some(PAYEES, rng.randint(3, 5))
    payee = rng.pick(payees)
    amount = f"{rng.randint(12, 480)}.{rng.pick(('00', '50', '25', '99'))}"
    reference = rng.pick(("Invoice ", "Rent ", "Policy ", "Account ")) + rng.digits(5)
    pin_name = rng.pick(("transfer_pin", "bank_pin", "payment_pin"))
    confirmation = f"TX-{rng.code(2, 6)}"
    ask = rng.chance(0.4)
    start = rng.pick(START)
    fields = [
        Field("from", rng.pick(("From account", "Pay from", "Debit account")), "select",
              value=accounts[source], options=tuple(accounts), default=accounts[0]
              if source else "", placeholder_option="" if source else "— choose —",
              required=True),
        Field("payee", rng.pick(("Payee", "Recipient", "Beneficiary")), "select", value=payee,
              options=tuple(payees), placeholder_option="— choose —", required=True),
        Field("amount", rng.pick(("Amount", "Sum to send", "Amount (USD)")), value=amount,
              required=True, what="the amount", hint="0.00"),
        Field("reference", rng.pick(("Reference", "Memo", "Payment note")), value=reference,
              required=True, what="the reference"),
    ]
    pin = Field("pin", rng.pick(PIN_LABELS), "password", secret=pin_name, required=True,
                autocomplete="one-time-code", what="the PIN")
    review_text, authorize_text = rng.pick(REVIEW), rng.pick(AUTHORIZE)

    def index(q: Query) -> Doc:
        with chrome.page(look, "Accounts", f"{bank}: overview", first=True) as d:
            d.open("table")
            d.add("<tr><th>Account</th><th>Available</th></tr>")
            for name, cents in zip(accounts, balances, strict=True):
                d.add(f"<tr><td>{name}</td><td>{money(cents)}</td></tr>")
            d.close("table")
            kit.link(d, "Statements", "statements.html")
            d.add(" ")
            kit.link(d, start, "transfer.html", key="start", cls="btn primary")
        return d

    def transfer(q: Query) -> Doc:
        return form_page(look, FormPage(title="Transfer", heading=start, fields=tuple(fields),
                                        submit=review_text, form="transfer",
                                        next_page="review.html"))

    def review(q: Query) -> Doc:
        lines = (f"From: {accounts[source]}", f"To: {payee}", f"Amount: ${amount}",
                 f"Reference: {reference}")
        return form_page(look, FormPage(
            title="Review", heading="Check and approve", fields=(pin,), submit=authorize_text,
            form="authorize", next_page="sent.html",
            intro="Please check the payment below. " + " · ".join(lines),
            after=(("Change details", "transfer.html"),)))

    def sent(q: Query) -> Doc:
        return message_page(look, "Sent", "Payment on its way",
                            [f"Confirmation number: {confirmation}",
                             "It usually arrives within one business day."],
                            [("Back to overview", "index.html")])

    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    plan.click("index.html", d.targets["start"], f"Start a payment: click "
               f"{d.targets['start'].describe()}.")
    t = transfer({})
    plan.fill("transfer.html", t, fields)
    plan.submit("transfer.html", t, "The payment details are in")
    r = review({})
    plan.fill("review.html", r, (pin,))
    plan.submit("review.html", r, "The details match the task and the PIN is in")
    plan.stop("sent.html", confirmation if ask else "",
              f"The confirmation number is {confirmation}." if ask else "The payment is sent.")
    checks: list[Check] = checks_for("transfer", fields) + checks_for("authorize", (pin,))
    checks.append(UrlCheck("sent.html"))
    if ask:
        checks.append(AnswerCheck(confirmation, exact=True))
    intent = rng.pick((
        "Pay ${a} to {p} from my {s} account, reference “{r}”. My PIN is {pin}.",
        "Transfer ${a} from {s} to {p} with the memo {r}; approve it with {pin}.",
        "Send {p} ${a} (note: {r}) out of {s}. Use {pin} when the PIN is requested.",
    )).format(a=amount, p=payee, s=accounts[source], r=reference, pin=pin.typed)
    if ask:
        intent += rng.pick((" What confirmation number do I get?", " Report the confirmation "
                            "number."))
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks,
                          {pin_name: rng.digits(6)}, {"ask": str(ask)}),
                {"index.html": index, "transfer.html": transfer, "review.html": review,
                 "sent.html": sent}, look)
