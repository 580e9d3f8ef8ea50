"""Detail pages: open one record from a list, then read one of its several labelled fields
("what is the mileage of the Corsa KX-4821?"), or open the cart and read a line of it (the
total, the shipping, the quantity of an item). The list shows the record's id and a teaser
field, never the one asked for, so the value must be read off the right page by its label."""

from __future__ import annotations

from collections.abc import Callable

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.families.common import (
    Plan,
    Query,
    Site,
    details,
    make_spec,
    numbered,
)
from trainer.suites.synthetic.kit import Doc
from trainer.suites.synthetic.spec import AnswerCheck, LogCheck
from trainer.suites.synthetic.words import Rng, money, some_date

FAMILY, SPLIT = "record", "train"
SUMMARY = "open a record from a list and read one of its labelled fields, or read the cart"

Gen = Callable[[Rng], str]
MODELS = ("Corsa", "Fiesta", "Octavia", "Golf", "Yaris", "Clio", "Civic", "Ibiza", "Leaf")
TITLE_A = ("Silent", "Northern", "Paper", "Hidden", "Last", "Copper", "Winter", "Open")
TITLE_B = ("Harbour", "Orchard", "Letters", "Compass", "Garden", "Lanterns", "Roads", "Tide")
PROJECT_KINDS = ("Rollout", "Redesign", "Audit", "Migration", "Launch")


def _isbn(r: Rng) -> str:
    return f"978-{r.digits(1)}-{r.digits(4)}-{r.digits(4)}-{r.digits(1)}"


DOMAINS: dict[str, tuple[str, str, Callable[[Rng], str], tuple[tuple[str, Gen], ...]]] = {
    # domain -> (list heading, id prefix, record name, fields (label, generator))
    "contacts": ("Contacts", "C-", lambda r: " ".join(r.person()),
                 (("Account manager", lambda r: " ".join(r.person())),
                  ("Mobile", lambda r: f"+1 555 {r.digits(3)} {r.digits(4)}"),
                  ("Company", lambda r: r.brand() + " Inc."),
                  ("Job title", lambda r: r.pick(("Buyer", "Engineer", "Accountant", "Designer",
                                                  "Office manager", "Analyst"))),
                  ("City", lambda r: r.city()),
                  ("Birthday", some_date))),
    "vehicles": ("Fleet", "V-", lambda r: f"{r.pick(MODELS)} {r.code(2, 4)}",
                 (("Mileage", lambda r: f"{r.randint(3, 180)},{r.digits(3)} km"),
                  ("Next service", some_date),
                  ("Fuel", lambda r: r.pick(("Petrol", "Diesel", "Electric", "Hybrid"))),
                  ("Colour", lambda r: r.pick(("Silver", "Red", "Dark blue", "White", "Grey"))),
                  ("Driver", lambda r: " ".join(r.person())),
                  ("Year", lambda r: str(r.randint(2012, 2025))))),
    "listings": ("Homes for rent", "L-", lambda r: f"{r.street()}, {r.city()}",
                 (("Rent", lambda r: money(r.cents(600, 3200)) + " / month"),
                  ("Bedrooms", lambda r: str(r.randint(1, 5))),
                  ("Floor area", lambda r: f"{r.randint(35, 180)} m²"),
                  ("Available from", some_date),
                  ("Agent", lambda r: " ".join(r.person())),
                  ("Deposit", lambda r: money(r.cents(500, 4000))))),
    "catalogue": ("Library catalogue", "B-",
                  lambda r: f"The {r.pick(TITLE_A)} {r.pick(TITLE_B)}",
                  (("Author", lambda r: " ".join(r.person())),
                   ("ISBN", _isbn),
                   ("Pages", lambda r: str(r.randint(90, 720))),
                   ("Published", lambda r: str(r.randint(1950, 2025))),
                   ("Shelf", lambda r: f"{r.pick('ABCDEFG')}{r.randint(1, 40)}"),
                   ("Due back", some_date))),
    "projects": ("Projects", "P-", lambda r: f"{r.brand()} {r.pick(PROJECT_KINDS)}",
                 (("Owner", lambda r: " ".join(r.person())),
                  ("Deadline", some_date),
                  ("Budget", lambda r: money(r.cents(2000, 90000))),
                  ("Client", lambda r: r.brand() + " Ltd"),
                  ("Progress", lambda r: f"{r.randint(5, 95)} %"),
                  ("Phase", lambda r: r.pick(("Planning", "Build", "Testing", "Review"))))),
}
OPEN_WORDS = ("View", "Details", "Open", "More info")
CART_LINKS = ("Cart", "View cart", "Basket", "My bag", "Shopping cart")
SUMMARY_LINES = ("Subtotal", "Shipping", "Tax", "Total")


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    if rng.chance(0.25):
        return _cart(rng, look, seed)
    domain = rng.pick(tuple(DOMAINS))
    heading, prefix, make, all_fields = DOMAINS[domain]
    fields = list(all_fields)
    rng.shuffle(fields)
    fields = fields[:rng.randint(4, len(fields))]
    names = rng.unique(lambda: make(rng), rng.randint(3, 7))
    ids = [prefix + rng.digits(4) for _ in names]
    values = [[gen(rng) for _, gen in fields] for _ in names]
    target = rng.randrange(len(names))
    asked = rng.randrange(1, len(fields))  # field 0 is the list's teaser
    label, answer = fields[asked][0], values[target][asked]
    style = rng.pick(("links", "table", "cards"))
    layout = rng.pick(("list", "table", "lines", "grid"))
    opener = rng.pick(OPEN_WORDS)
    related = rng.chance(0.5)

    def index(q: Query) -> Doc:
        with chrome.page(look, heading, heading, first=True) as d:
            d.el("p", f"{len(names)} records")
            if style == "table":
                d.open("table")
                d.add(f"<tr><th>Name</th><th>ID</th><th>{fields[0][0]}</th></tr>")
                for i, name in enumerate(names):
                    d.add("<tr><td>")
                    kit.link(d, name, f"item.html?id={i}", key=f"open:{i}")
                    d.add(f"</td><td>{ids[i]}</td><td>{values[i][0]}</td></tr>")
                d.close("table")
            elif style == "cards":
                for i, name in enumerate(names):
                    d.open("section", cls="promo")
                    d.el("h2", name)
                    d.el("p", f"{ids[i]} · {fields[0][0]}: {values[i][0]}")
                    kit.link(d, opener, f"item.html?id={i}", key=f"open:{i}")
                    d.close("section")
            else:
                d.open("ul")
                for i, name in enumerate(names):
                    d.open("li")
                    kit.link(d, name, f"item.html?id={i}", key=f"open:{i}")
                    d.el("small", f" {ids[i]}")
                    d.close("li")
                d.close("ul")
        return d

    def item(q: Query) -> Doc:
        i = numbered(q, len(names))
        with chrome.page(look, names[i], names[i]) as d:
            d.el("p", f"Record {ids[i]}")
            pairs = dict(zip((f for f, _ in fields), values[i], strict=True))
            details(d, pairs, layout)
            if related:
                d.el("h2", "See also")
                for j, other in enumerate(names):
                    if j != i and abs(j - i) == 1:
                        kit.link(d, other, f"item.html?id={j}")
            kit.link(d, f"Back to {heading.lower()}", "index.html")
        return d

    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    link = d.targets[f"open:{target}"]
    where = f" under '{names[target]}'" if style == "cards" else ""
    plan.click("index.html", link, f"The {label.lower()} of {names[target]} is on its own "
               f"page: click {link.describe()}{where}.")
    plan.stop(f"item.html?id={target}", answer, f"The {label} line of {names[target]} "
              f"reads {answer}.")
    intent = rng.pick(("What is the {f} of {n}?", "Open {n} and tell me its {f}.",
                       "Find the {f} listed for {n}.", "I need {n}'s {f}.",
                       "Check the record of {n}: what {f} does it give?",
                       "{n} — what is the {f}?")).format(f=label.lower(), n=names[target])
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, [AnswerCheck(answer), LogCheck(())],
                          {}, {"domain": domain, "style": style, "layout": layout}),
                {"index.html": index, "item.html": item}, look)


def _cart(rng: Rng, look: chrome.Look, seed: int) -> Site:
    """A shop's front page with the cart behind a link; the cart lists items and sums."""
    products = rng.products(rng.randint(4, 7))
    prices = [rng.cents(3, 90) for _ in products]
    in_cart = sorted(rng.some(range(len(products)), rng.randint(1, 4)))
    qty = {i: rng.pick((1, 1, 2, 3)) for i in in_cart}
    subtotal = sum(prices[i] * qty[i] for i in in_cart)
    shipping = rng.pick((0, 495, 599, 899))
    tax = subtotal * rng.pick((5, 8, 10)) // 100
    sums = {line: "Free" if line == "Shipping" and not value else money(value)
            for line, value in zip(SUMMARY_LINES, (subtotal, shipping, tax,
                                                   subtotal + shipping + tax), strict=True)}
    line_total = {i: money(prices[i] * qty[i]) for i in in_cart}
    cart_text = rng.pick(CART_LINKS)
    count = rng.chance(0.5)
    cart_name = f"{cart_text} ({sum(qty.values())})" if count else cart_text
    layout = rng.pick(("table", "lines"))
    ask = rng.pick(("Total", "Total", "Subtotal", "Shipping", "Tax", "qty", "line"))
    item = rng.pick(in_cart)
    if ask == "qty":
        answer, what = str(qty[item]), f"how many {products[item]} are in the cart"
    elif ask == "line":
        answer, what = line_total[item], f"what the {products[item]} line of the cart comes to"
    else:
        answer, what = sums[ask], f"the cart's {ask.lower()}"
    heading = rng.pick(("Shop", "Our products", "New in"))

    def index(q: Query) -> Doc:
        with chrome.page(look, "Shop", heading, first=True) as d:
            kit.link(d, cart_name, "cart.html", key="cart")
            for i, name in enumerate(products):
                d.open("section", cls="promo")
                d.el("h2", name)
                d.el("p", money(prices[i]))
                d.close("section")
        return d

    def cart(q: Query) -> Doc:
        with chrome.page(look, "Cart", "Your cart") as d:
            if layout == "table":
                d.open("table")
                d.add("<tr><th>Item</th><th>Qty</th><th>Price</th><th>Line total</th></tr>")
                for i in in_cart:
                    d.add(f"<tr><td>{products[i]}</td><td>{qty[i]}</td>"
                          f"<td>{money(prices[i])}</td><td>{line_total[i]}</td></tr>")
                d.close("table")
            else:
                for i in in_cart:
                    d.el("p", f"{products[i]} × {qty[i]} — {line_total[i]}")
            for line, shown in sums.items():
                d.el("p", f"{line}: {shown}")
            kit.link(d, "Continue shopping", "index.html")
        return d

    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    link = d.targets["cart"]
    plan.click("index.html", link, f"The cart is on its own page: click {link.describe()}.")
    plan.stop("cart.html", answer, f"The cart shows {what}: {answer}.")
    intent = rng.pick(("Tell me {w}.", "Open my cart and find {w}.",
                       "Check {w}, please.")).format(w=what)
    if ask == "Total" and rng.chance(0.5):
        intent = rng.pick(("How much is my cart in total?", "What will my order cost in all?",
                           "What does my basket come to?"))
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, [AnswerCheck(answer), LogCheck(())],
                          {}, {"domain": "cart", "layout": layout, "ask": ask}),
                {"index.html": index, "cart.html": cart}, look)
