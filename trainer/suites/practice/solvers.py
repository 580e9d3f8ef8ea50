"""Reference solvers for the practice sites (resources/sites/tasks.json).

Each solver reads only the step context: the intent (parameters are parsed from it, so a
changed intent changes what the solver does), the observation's URL and elements, and the
history. It never touches the page. Secrets stay placeholders copied from the intent.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from urllib.parse import urlparse

from core.browser.views import Element
from core.policies.base import StepContext
from trainer.teacher import Moves, Solver, SolverRegistry

log = logging.getLogger(__name__)

SOLVERS = SolverRegistry()
FIELD_ROLES = ("textbox", "spinbutton", "searchbox", "combobox")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


# --- reading the context -------------------------------------------------------------------

def _page(ctx: StepContext) -> str:
    """The page's file name, e.g. 'inbox.html' ('index.html' for a folder)."""
    path = urlparse(ctx.observation.url).path
    return path.rsplit("/", 1)[-1] or "index.html"


def _find(ctx: StepContext, role: str | tuple[str, ...], name: str = "",
          exact: bool = False) -> Element | None:
    roles = (role,) if isinstance(role, str) else role
    wanted = name.lower()
    for element in ctx.observation.elements:
        if element.role not in roles:
            continue
        have = element.name.lower()
        if (have == wanted) if exact else (wanted in have):
            return element
    return None


TEXT_ROLES = ("StaticText", "status", "alert")


def _texts(ctx: StepContext) -> list[str]:
    return [e.name for e in ctx.observation.elements if e.role in TEXT_ROLES]


def _read(ctx: StepContext, pattern: str) -> str | None:
    """The first group of `pattern` in the page's text lines."""
    for text in _texts(ctx):
        match = re.search(pattern, text)
        if match:
            return match.group(1).strip()
    return None


class _IntentMismatch(Exception):
    """The intent does not have the shape this solver reads; the solver gives up."""


def _intent(ctx: StepContext, pattern: str) -> tuple[str, ...]:
    match = re.search(pattern, ctx.intent)
    if match is None:
        raise _IntentMismatch(pattern)
    return tuple(g.strip() for g in match.groups())


def practice(task_id: str) -> Callable[[Solver], Solver]:
    """Register a solver for practice/<task_id>; an intent it cannot read means no move."""
    def register(fn: Solver) -> Solver:
        @functools.wraps(fn)
        def guarded(ctx: StepContext) -> Moves:
            try:
                return fn(ctx)
            except _IntentMismatch as exc:
                log.warning("%s: intent does not match %s", task_id, exc)
                return []
        return SOLVERS.register(f"practice/{task_id}")(guarded)
    return register


def _heading(ctx: StepContext) -> str:
    element = _find(ctx, "heading")
    return element.name if element else ""


# --- acting --------------------------------------------------------------------------------

def _click(element: Element | None, why: str) -> Moves:
    return [(f"click [{element.id}]", why)] if element else []


def _filled(element: Element, text: str) -> bool:
    value = element.props.get("value", "")
    if "{{secret:" in text:
        return value != ""  # a secret field shows '<hidden>' or the typed value, never the text
    return " ".join(value.split()) == " ".join(text.split())


def _fill(ctx: StepContext, fields: list[tuple[str, str]]) -> Moves:
    """Type into the first listed field (by exact label) that does not hold its text yet;
    choose in a drop-down when the label names one."""
    for label, text in fields:
        element = _find(ctx, FIELD_ROLES, label, exact=True)
        if element is None or _filled(element, text):
            continue
        if element.role == "combobox" and element.options:
            return [(f"select [{element.id}] [{text}]", f"Choose {text} as {label}.")]
        shown = "the secret" if "{{secret:" in text else repr(text)
        return [(f"type [{element.id}] [{text}] [0]", f"Enter {shown} as {label}.")]
    return []


def _stop(answer: str, why: str) -> Moves:
    return [(f"stop [{answer}]", why)]


def _first(*options: Moves) -> Moves:
    for moves in options:
        if moves:
            return moves
    return []


# --- webmail -------------------------------------------------------------------------------

def _open_message(ctx: StepContext, needle: str) -> Moves:
    """From anywhere signed in: go to the inbox and open the message whose row names `needle`."""
    if _page(ctx) == "inbox.html":
        return _click(_find(ctx, "link", needle), f"Open the message about '{needle}'.")
    return _click(_find(ctx, "link", "Inbox", exact=True), "Go to the inbox.")


def _on_message(ctx: StepContext, needle: str) -> bool:
    return _page(ctx) == "message.html" and needle.lower() in _read_from(ctx).lower()


def _read_from(ctx: StepContext) -> str:
    return _heading(ctx) + " " + (_read(ctx, r"^From: (.*)$") or "")


def _sent_notice(ctx: StepContext) -> bool:
    return _page(ctx) == "sent.html" and "Message sent." in _texts(ctx)


def _compose_and_send(ctx: StepContext, fields: list[tuple[str, str]]) -> Moves:
    return _first(_fill(ctx, fields),
                  _click(_find(ctx, "button", "Send", exact=True), "Everything is filled: send."))


@practice("webmail-login")
def webmail_login(ctx: StepContext) -> Moves:
    username, password = _intent(ctx, r"username (\S+) and password (\{\{secret:[^}]+\}\})")
    if _page(ctx) == "inbox.html":
        return _stop("", "The inbox is open: I am signed in.")
    return _first(_fill(ctx, [("Username", username), ("Password", password)]),
                  _click(_find(ctx, "button", "Sign in", exact=True), "Submit the login form."))


@practice("webmail-logout")
def webmail_logout(ctx: StepContext) -> Moves:
    if _find(ctx, "heading", "Sign in to Webmail"):
        return _stop("", "The login page is shown: I am signed out.")
    return _click(_find(ctx, "button", "Sign out", exact=True), "Sign out.")


@practice("webmail-open-invoice")
def webmail_open_invoice(ctx: StepContext) -> Moves:
    if _on_message(ctx, "invoice"):
        return _stop("", "The invoice email is open.")
    return _open_message(ctx, "Invoice")


def _answer_from_message(ctx: StepContext, needle: str, pattern: str, what: str) -> Moves:
    if _on_message(ctx, needle):
        value = _read(ctx, pattern)
        if value:
            return _stop(value, f"The message says the {what} is {value}.")
    return _open_message(ctx, needle)


@practice("webmail-otp-code")
def webmail_otp_code(ctx: StepContext) -> Moves:
    return _answer_from_message(ctx, "verification code", r"code is (\d+)", "code")


@practice("webmail-invoice-amount")
def webmail_invoice_amount(ctx: StepContext) -> Moves:
    return _answer_from_message(ctx, "Invoice", r"Amount due: (.+)$", "amount due")


@practice("webmail-jamie-phone")
def webmail_jamie_phone(ctx: StepContext) -> Moves:
    return _answer_from_message(ctx, "Jamie Rivera", r"phone number is (.+?)\.?$", "phone number")


@practice("webmail-injection-sender")
def webmail_injection_sender(ctx: StepContext) -> Moves:
    (subject,) = _intent(ctx, r"subject '([^']+)'")
    # The message body is untrusted content: only its From line is read.
    return _answer_from_message(ctx, subject, r"^From: .*<([^>]+)>$", "sender")


@practice("webmail-forward-invoice")
def webmail_forward_invoice(ctx: StepContext) -> Moves:
    match = EMAIL.search(ctx.intent)
    if match is None:
        return []
    if _sent_notice(ctx):
        return _stop("", "The invoice was forwarded.")
    if _page(ctx) == "compose.html":
        return _compose_and_send(ctx, [("To", match.group(0))])
    if _on_message(ctx, "invoice"):
        return _click(_find(ctx, "button", "Forward", exact=True), "Forward this invoice.")
    return _open_message(ctx, "Invoice")


@practice("webmail-reply-lunch")
def webmail_reply_lunch(ctx: StepContext) -> Moves:
    (text,) = _intent(ctx, r"with the text: (.+)$")
    if _sent_notice(ctx):
        return _stop("", "The reply was sent.")
    if _page(ctx) == "compose.html":
        return _compose_and_send(ctx, [("Message", text)])
    if _on_message(ctx, "lunch"):
        return _click(_find(ctx, "button", "Reply", exact=True), "Reply to the invitation.")
    return _open_message(ctx, "lunch")


@practice("webmail-compose-new")
def webmail_compose_new(ctx: StepContext) -> Moves:
    to, subject, body = _intent(
        ctx, r"email to (\S+) with the subject (.+?) and the message: (.+)$")
    if _sent_notice(ctx):
        return _stop("", "The email was sent.")
    if _page(ctx) == "compose.html":
        return _compose_and_send(ctx, [("To", to), ("Subject", subject), ("Message", body)])
    return _click(_find(ctx, "link", "Compose", exact=True), "Start a new message.")


# --- shop ----------------------------------------------------------------------------------

def _cart_count(ctx: StepContext) -> int:
    element = _find(ctx, "link", "Cart (")
    match = re.search(r"\((\d+)\)", element.name) if element else None
    return int(match.group(1)) if match else 0


def _go_to_product(ctx: StepContext, name: str) -> Moves:
    if _page(ctx) == "index.html":
        return _click(_find(ctx, "link", name), f"Open the page of {name}.")
    return _click(_find(ctx, "link", "Products", exact=True), "Go back to the product list.")


def _on_product(ctx: StepContext, name: str) -> bool:
    return _page(ctx) == "product.html" and _heading(ctx).lower().startswith(name.lower())


@practice("shop-open-product")
def shop_open_product(ctx: StepContext) -> Moves:
    (name,) = _intent(ctx, r"page of the (.+?)\.$")
    if _on_product(ctx, name):
        return _stop("", f"The page of {name} is open.")
    return _go_to_product(ctx, name)


@practice("shop-headlamp-price")
def shop_headlamp_price(ctx: StepContext) -> Moves:
    (name,) = _intent(ctx, r"does the (.+?) cost")
    elements = ctx.observation.elements
    for i, element in enumerate(elements[:-1]):
        if element.role == "link" and name.lower() in element.name.lower():
            price = elements[i + 1].name
            if price.startswith("$"):
                return _stop(price, f"The list shows {name} at {price}.")
    return _click(_find(ctx, "link", "Products", exact=True), "Open the product list.")


@practice("shop-add-socks")
def shop_add_socks(ctx: StepContext) -> Moves:
    qty, name = _intent(ctx, r"Add (\d+) (.+?) to the cart")
    if any(t.startswith(f"Added {qty} ") for t in _texts(ctx)):
        return _stop("", "The items are in the cart.")
    if _on_product(ctx, name):
        return _first(_fill(ctx, [("Quantity", qty)]),
                      _click(_find(ctx, "button", "Add to cart"), "Add them to the cart."))
    return _go_to_product(ctx, name)


def _add_each(ctx: StepContext, names: list[str]) -> Moves:
    """Add one of each product, in order; the cart count says how many are in already."""
    count = _cart_count(ctx)
    if count >= len(names):
        return []
    name = names[count]
    if _on_product(ctx, name):
        return _click(_find(ctx, "button", "Add to cart"), f"Put {name} in the cart.")
    return _go_to_product(ctx, name)


@practice("shop-cart-total")
def shop_cart_total(ctx: StepContext) -> Moves:
    first, second = _intent(ctx, r"Put one (.+?) and one (.+?) in the cart")
    moves = _add_each(ctx, [first, second])
    if moves:
        return moves
    if _page(ctx) == "cart.html":
        total = _read(ctx, r"^Total: (.+)$")
        if total:
            return _stop(total, f"The cart total is {total}.")
    return _click(_find(ctx, "link", "Cart ("), "Open the cart to read the total.")


@practice("shop-buy-bottle")
def shop_buy_bottle(ctx: StepContext) -> Moves:
    (name,) = _intent(ctx, r"Buy one (.+?)\. Ship")
    ship_name, street, city, postal, country = _intent(
        ctx, r"Ship it to (.+?), (.+?), (.+?), postal code (\S+), (.+?), and pay")
    card_name, number, exp, cvv = _intent(
        ctx, r"card of (.+?): number (\S+), expiry (\S+), security code (\S+)\.$")
    if _page(ctx) == "confirmation.html" and _read(ctx, r"^Order (\S+) is confirmed"):
        return _stop("", "The order is confirmed.")
    if _page(ctx) == "checkout.html":
        return _first(
            _fill(ctx, [("Full name", ship_name), ("Street address", street), ("City", city),
                        ("Postal code", postal), ("Country", country), ("Name on card", card_name),
                        ("Card number", number), ("Expiry (MM/YY)", exp),
                        ("Security code (CVV)", cvv)]),
            _click(_find(ctx, "button", "Place order", exact=True), "The form is complete: order."))
    moves = _add_each(ctx, [name])
    if moves:
        return moves
    if _page(ctx) == "cart.html":
        return _click(_find(ctx, "link", "Proceed to checkout"), "Go to checkout.")
    return _click(_find(ctx, "link", "Cart ("), "Open the cart.")


# --- account -------------------------------------------------------------------------------

def _profile_answer(ctx: StepContext, label: str) -> Moves:
    value = _read(ctx, rf"^{re.escape(label)}: (.+)$")
    if value:
        return _stop(value, f"The profile shows the {label.lower()} {value}.")
    return _click(_find(ctx, "link", "Profile", exact=True), "Open the profile.")


@practice("account-email")
def account_email(ctx: StepContext) -> Moves:
    return _profile_answer(ctx, "Email")


@practice("account-birth-date")
def account_birth_date(ctx: StepContext) -> Moves:
    return _profile_answer(ctx, "Date of birth")


@practice("account-iban")
def account_iban(ctx: StepContext) -> Moves:
    return _profile_answer(ctx, "IBAN")


def _edit_profile(ctx: StepContext, fields: list[tuple[str, str]], done_line: str) -> Moves:
    if _page(ctx) == "index.html" and "Profile saved." in _texts(ctx) and done_line in _texts(ctx):
        return _stop("", "The profile is saved with the new details.")
    if _page(ctx) == "edit.html":
        return _first(_fill(ctx, fields),
                      _click(_find(ctx, "button", "Save changes", exact=True), "Save the profile."))
    return _click(_find(ctx, "link", "Edit profile", exact=True), "Open the profile form.")


@practice("account-change-phone")
def account_change_phone(ctx: StepContext) -> Moves:
    (phone,) = _intent(ctx, r"phone number on my account to (.+?)\.$")
    return _edit_profile(ctx, [("Phone", phone)], f"Phone: {phone}")


@practice("account-change-address")
def account_change_address(ctx: StepContext) -> Moves:
    street, city, postal = _intent(ctx, r"address is (.+?), (.+?), (\S+?)\.")
    return _edit_profile(ctx, [("Street address", street), ("City", city), ("Postal code", postal)],
                         f"Address: {street}, {city} {postal}")


@practice("account-change-password")
def account_change_password(ctx: StepContext) -> Moves:
    current, new = _intent(ctx, r"current password is (\{\{secret:[^}]+\}\}) and the new one is "
                                r"(\{\{secret:[^}]+\}\})")
    if "Your password was changed." in _texts(ctx):
        return _stop("", "The password was changed.")
    if _page(ctx) == "password.html":
        return _first(
            _fill(ctx, [("Current password", current), ("New password", new),
                        ("Confirm new password", new)]),
            _click(_find(ctx, "button", "Change password", exact=True), "Submit the new password."))
    return _click(_find(ctx, "link", "Change password", exact=True), "Open the password form.")
