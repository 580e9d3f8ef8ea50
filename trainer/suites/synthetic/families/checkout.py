"""Checkout: cart -> address -> shipping choice (radio) -> payment with card fields typed as
`{{secret:…}}` placeholders -> confirmation (sometimes the task asks for the order number)."""

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
from trainer.suites.synthetic.spec import AnswerCheck, Check, LogCheck, UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng, money

FAMILY, SPLIT = "checkout", "train"
SUMMARY = "cart, address, shipping radio, card payment with secrets, confirmation"

SHIPPING = (("Standard", "5–7 days", 499), ("Express", "2 days", 1290), ("Next day", "1 day", 1990),
            ("Pickup", "at the store", 0), ("Economy", "8–12 days", 299))
CHECKOUT = ("Checkout", "Proceed to checkout", "Continue to checkout", "Go to checkout")
PAY = ("Place order", "Pay now", "Confirm purchase", "Complete order")
CARD_LABELS = (("Card number", "Expiry date", "CVC"), ("Credit card number", "Expiration (MM/YY)",
               "Security code"), ("Card no.", "Expires", "CVV"))


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    first, last = rng.person()
    name, street, city, postal = f"{first} {last}", rng.street(), rng.city(), rng.postal()
    items = [(p, rng.randint(1, 3), rng.cents(4, 90)) for p in rng.products(rng.randint(1, 3))]
    options = rng.some(SHIPPING, rng.randint(2, 4))
    ship = rng.pick(options[1:])  # the first option is pre-selected on some sites
    ship_labels = [f"{o[0]} ({o[1]}) — {money(o[2]) if o[2] else 'Free'}" for o in options]
    ship_label = ship_labels[options.index(ship)]
    preselect = ship_labels[0] if rng.chance(0.5) else ""
    card_labels = rng.pick(CARD_LABELS)
    order_no = rng.code(3, 5)
    ask_number = rng.chance(0.4)
    subtotal = sum(q * c for _, q, c in items)
    nxt = rng.pick(words(SPLIT, "next"))
    address = [Field("name", rng.pick(words(SPLIT, "name")), value=name, required=True,
                     autocomplete="shipping name", what="the name"),
               Field("street", rng.pick(words(SPLIT, "street")), value=street, required=True,
                     autocomplete="shipping street-address", what="the street"),
               Field("city", rng.pick(words(SPLIT, "city")), value=city, required=True,
                     autocomplete="shipping address-level2", what="the city"),
               Field("postal", rng.pick(words(SPLIT, "postal")), value=postal, required=True,
                     autocomplete="shipping postal-code", what="the postal code")]
    if rng.chance(0.4):
        address.append(Field("phone", rng.pick(words(SPLIT, "phone")) + " (optional)", "tel",
                             planned=False))
    shipping = [Field("method", rng.pick(("Shipping method", "Delivery", "Delivery speed")),
                      "radio", value=ship_label, options=tuple(ship_labels), default=preselect,
                      required=True)]
    secrets = {"card_number": "4111 1111 1111 " + rng.digits(4),
               "card_expiry": f"{rng.randint(1, 12):02d}/{rng.randint(27, 31)}",
               "card_cvc": rng.digits(3)}
    payment = [Field("holder", rng.pick(("Name on card", "Cardholder name")), value=name,
                     required=True, autocomplete="cc-name", what="the cardholder"),
               Field("number", card_labels[0], secret="card_number", required=True,
                     autocomplete="cc-number", what="the card number"),
               Field("expiry", card_labels[1], secret="card_expiry", required=True,
                     autocomplete="cc-exp", what="the expiry", hint="MM/YY"),
               Field("cvc", card_labels[2], secret="card_cvc", required=True,
                     autocomplete="cc-csc", what="the security code")]
    checkout_text = rng.pick(CHECKOUT)

    cart_heading = rng.pick(("Your cart", "Shopping bag", "Basket"))

    pay_text = rng.pick(PAY)

    def cart(q: Query) -> Doc:
        with chrome.page(look, "Cart", cart_heading, first=True) as d:
            d.open("table")
            d.add("<tr><th>Item</th><th>Qty</th><th>Price</th><th></th></tr>")
            for i, (product, qty, cents) in enumerate(items):
                d.add(f"<tr><td>{product}</td><td>{qty}</td><td>{money(qty * cents)}</td><td>")
                kit.action(d, "Remove", None, f"log:remove:{i};go:index.html")
                d.add("</td></tr>")
            d.close("table")
            d.el("p", f"Subtotal: {money(subtotal)}")
            kit.link(d, "Continue shopping", "shop.html")
            d.add(" ")
            kit.link(d, checkout_text, "address.html", key="checkout", cls="btn primary")
        return d

    def step_page(title: str, fields: list[Field], form: str, nxt_page: str,
                  submit: str) -> Doc:
        return form_page(look, FormPage(title=title, heading=title, fields=tuple(fields),
                                        submit=submit, form=form, next_page=nxt_page,
                                        intro=f"Order total before shipping: {money(subtotal)}"))

    def address_page(q: Query) -> Doc:
        return step_page("Shipping address", address, "address", "shipping.html", nxt)

    def shipping_page(q: Query) -> Doc:
        return step_page("Delivery options", shipping, "shipping", "payment.html", nxt)

    def payment_page(q: Query) -> Doc:
        return step_page("Payment", payment, "payment", "done.html", pay_text)

    def done(q: Query) -> Doc:
        return message_page(look, "Order placed", "Thank you for your order!",
                            [f"Order {order_no} is confirmed.",
                             f"It ships {ship[0].lower()} to {city}."],
                            [("Track your order", "orders.html")])

    plan = Plan()
    c = cart({})
    plan.cookie("index.html", c, look)
    plan.click("index.html", c.targets["checkout"],
               f"Start the checkout: click {c.targets['checkout'].describe()}.")
    for page, fn, fields in (("address.html", address_page, address),
                             ("shipping.html", shipping_page, shipping),
                             ("payment.html", payment_page, payment)):
        d = fn({})
        plan.fill(page, d, fields)
        plan.submit(page, d, "This step is complete")
    plan.stop("done.html", order_no if ask_number else "",
              f"The order is confirmed; its number is {order_no}." if ask_number
              else "The order is placed.")
    checks: list[Check] = (checks_for("address", address) + checks_for("shipping", shipping)
                           + checks_for("payment", payment))
    checks += [LogCheck(()), UrlCheck("done.html")]
    if ask_number:
        checks.append(AnswerCheck(order_no, exact=True))
    cards = "card {{secret:card_number}}, expiry {{secret:card_expiry}}, CVC {{secret:card_cvc}}"
    intent = rng.pick((
        "Check out my cart. Ship to {name}, {street}, {city} {postal}, {ship} delivery, and pay "
        "with {cards}.",
        "Buy what's in the basket: send it to {name} at {street}, {city}, {postal} with "
        "{ship} shipping; pay by {cards}.",
        "Complete the purchase with {ship} delivery to {name}, {street}, {city} {postal}. "
        "Payment: {cards}.",
    )).format(name=name, street=street, city=city, postal=postal, ship=ship[0].lower(),
              cards=cards)
    if ask_number:
        intent += rng.pick((" What is the order number?", " Tell me the order number."))
    variant = {"items": str(len(items)), "options": str(len(options)), "ask": str(ask_number)}
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, secrets, variant),
                {"index.html": cart, "address.html": address_page,
                 "shipping.html": shipping_page, "payment.html": payment_page,
                 "done.html": done}, look)
