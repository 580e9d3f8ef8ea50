"""HELD OUT. Order lookup: an order-number search (with a second check field) -> a status
table -> read the delivery date, the current status or the carrier."""

from __future__ import annotations

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.families.common import Plan, Query, Site, make_spec
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import AnswerCheck, UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng, long_date

FAMILY, SPLIT = "orderstatus", "heldout"
SUMMARY = "order number + check field (GET form) -> status table -> read a value"

CARRIERS = ("Swiftlane Freight", "Parcelwise", "Bluebird Couriers", "Northpost")
STATUSES = ("Awaiting dispatch", "Handed to carrier", "In transit", "Out for delivery")
TRACK = ("Track", "Look up", "Locate parcel", "Find my order")
ORDER_LABELS = ("Order reference", "Order no.", "Purchase number")


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    order = f"{rng.pick('ABCDEFGH')}-{rng.digits(5)}"
    first, last = rng.person()
    check_kind = rng.pick(("postal", "email"))
    check_value = rng.postal() if check_kind == "postal" else rng.email(first, last)
    y, m, dd = rng.date()
    ordered = long_date((y, m, dd))
    dispatched = long_date((y, m, min(dd + 1, 28)))
    eta = long_date((y, m + 1 if m < 12 else 1, rng.randint(1, 28)))
    status = rng.pick(STATUSES)
    carrier = rng.pick(CARRIERS)
    question = rng.pick(("eta", "status", "carrier"))
    fields = [Field("order", rng.pick(ORDER_LABELS), value=order, required=True,
                    what="the order number", hint="e.g. A-12345"),
              Field("check", rng.pick(words(SPLIT, "postal")) if check_kind == "postal"
                    else rng.pick(words(SPLIT, "email")), "email" if check_kind == "email"
                    else "text", value=check_value, required=True,
                    what="the " + ("post number" if check_kind == "postal" else "e-mail"))]
    track = rng.pick(TRACK)
    layout = rng.pick(("table", "lines"))

    heading = rng.pick(("Where is my order?", "Track a parcel", "Order tracking"))

    def index(q: Query) -> Doc:
        with chrome.page(look, "Order tracking", heading, first=True) as d:
            d.el("p", "Enter the details from your confirmation e-mail.")
            with kit.form(d, "track", "", method="get", action_url="status.html") as fid:
                for f in fields:
                    kit.field(d, f, look.mech)
                kit.submit(d, track, "submit", look.button, fid)
        return d

    def status_page(q: Query) -> Doc:
        found = q.get("order", "").strip().upper() == order and \
            q.get("check", "").strip().lower() == check_value.lower()
        with chrome.page(look, "Status", f"Order {q.get('order', '')}") as d:
            if not found:
                d.el("p", "We could not find an order with those details.", role="status")
                kit.link(d, "Try again", "index.html")
            else:
                rows = (("Ordered", ordered), ("Dispatched", dispatched),
                        ("Current status", status), ("Carrier", carrier),
                        ("Estimated delivery", eta))
                if layout == "table":
                    d.open("table")
                    for key, value in rows:
                        d.add(f"<tr><th>{key}</th><td>{value}</td></tr>")
                    d.close("table")
                else:
                    for key, value in rows:
                        d.el("p", f"{key}: {value}")
        return d

    answer = {"eta": eta, "status": status, "carrier": carrier}[question]
    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    plan.fill("index.html", d, fields)
    plan.submit("index.html", d, "Both details are in")
    what = {"eta": "estimated delivery", "status": "current status", "carrier": "carrier"}[question]
    plan.stop(f"status.html?order={order}", answer, f"The {what} of order {order} is {answer}.")
    checks = [AnswerCheck(answer), UrlCheck(f"status.html?order={order}")]
    where = (f"post number is {check_value}" if check_kind == "postal"
             else f"e-mail is {check_value}")
    intent = rng.pick({
        "eta": ("When will order {o} arrive? My {w}.", "Find out the expected delivery date of "
                "order {o} (my {w}).", "Order {o}: what delivery date is estimated? My {w}."),
        "status": ("What is the status of order {o}? My {w}.", "Check where order {o} "
                   "stands (my {w}).", "Look up order {o} and report its status; my {w}."),
        "carrier": ("Which carrier delivers order {o}? My {w}.", "Who is shipping order {o}? "
                    "(My {w}.)", "Find the carrier of order {o}. My {w}."),
    }[question]).format(o=order, w=where)
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {},
                          {"question": question, "check": check_kind, "layout": layout}),
                {"index.html": index, "status.html": status_page}, look)
