"""Labelled texts for the privacy benchmark: observation-like pages in the real line format
(`[id] role 'name' props`) and task sentences with credentials, both with gold spans.

Values are marked while a text is built (`mark(type, value)`) and the marks become gold spans,
so the labels are exact by construction. Seeded: the same seed gives the same texts.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field

from faker import Faker

_MARK = re.compile(r"\x00(?P<type>[A-Z_]+)\x01(?P<value>.*?)\x02", re.DOTALL)


@dataclass
class Labelled:
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, gold type)
    kind: str = ""


def mark(entity_type: str, value: str) -> str:
    return f"\x00{entity_type}\x01{value}\x02"


def unmark(marked: str, kind: str = "") -> Labelled:
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = size = 0
    for match in _MARK.finditer(marked):
        parts.append(marked[pos:match.start()])
        size += match.start() - pos
        value = match.group("value")
        spans.append((size, size + len(value), match.group("type")))
        parts.append(value)
        size += len(value)
        pos = match.end()
    parts.append(marked[pos:])
    return Labelled("".join(parts), spans, kind)


class _Page:
    """Observation lines with increasing ids, in core.browser.views' format."""

    def __init__(self, url: str) -> None:
        self.lines = [f"URL: {url}"]
        self.next_id = 1

    def add(self, role: str, name: str = "", depth: int = 1, **props: str) -> None:
        line = f"{' ' * depth}[{self.next_id}] {role}"
        if name:
            line += f" '{name}'"
        for key, value in props.items():
            if value:
                quoted = key in ("value", "placeholder")
                line += f" {key}='{value}'" if quoted else f" {key}={value}"
        self.lines.append(line)
        self.next_id += 1

    def text(self) -> str:
        return "\n".join(self.lines)


_PRODUCTS = ("Lamp", "Desk Chair", "Headphones", "Backpack", "Water Bottle", "Keyboard",
             "Running Shoes", "Coffee Maker", "Notebook", "Phone Case", "Blender", "Monitor")
_NAV = ("Home", "Deals", "Electronics", "Books", "Home & Kitchen", "Fashion", "Toys",
        "Customer Service", "Gift Cards", "Sell", "Registry")


def _product(fake: Faker) -> str:
    return f"{fake.color_name()} {fake.word().title()} {random.choice(_PRODUCTS)}"


def _nav(page: _Page) -> None:
    page.add("link", "Skip to main content", 0)
    for name in random.sample(_NAV, 6):
        page.add("link", name)
    page.add("searchbox", "Search", placeholder="Search products")
    page.add("button", "Go")
    page.add("link", f"Cart ({random.randint(0, 9)})")


def shop_listing(fake: Faker) -> str:
    page = _Page(f"http://shop.example/s?k={fake.word()}")
    _nav(page)
    page.add("heading", f"Results for \"{fake.word()}\"")
    for _ in range(random.randint(12, 22)):
        page.add("link", _product(fake), 2)
        page.add("StaticText", f"${random.randint(3, 400)}.{random.randint(0, 99):02d}", 3)
        page.add("StaticText", f"{random.randint(30, 50) / 10} out of 5 stars "
                               f"({random.randint(1, 9999):,})", 3)
        page.add("StaticText", f"Delivery {fake.day_of_week()[:3]}, {fake.month_name()[:3]} "
                               f"{random.randint(1, 28)}", 3)
        page.add("button", "Add to cart", 3)
    page.add("link", "Next page")
    page.add("StaticText", f"© {random.randint(2015, 2026)} {fake.company()}")
    return page.text()


def checkout_form(fake: Faker) -> str:
    page = _Page("http://shop.example/checkout")
    page.add("heading", "Checkout", 0)
    filled = random.random() < 0.7
    with_autocomplete = random.random() < 0.5

    def field(label: str, gold: str, value: str, autocomplete: str, **props: str) -> None:
        shown = mark(gold, value) if filled else ""
        page.add("textbox", label, 2, autocomplete=autocomplete if with_autocomplete else "",
                 value=shown, **props)

    page.add("heading", "Shipping address", 1)
    field("Full name", "PERSON", fake.name(), "name")
    field("Email", "EMAIL_ADDRESS", fake.email(), "email", type="email")
    field("Phone", "PHONE_NUMBER", fake.phone_number(), "tel", type="tel")
    field("Address", "STREET_ADDRESS", fake.street_address(), "street-address")
    field("City", "GPE", fake.city(), "address-level2")
    field("ZIP code", "ZIP_CODE", fake.postcode(), "postal-code")
    page.add("heading", "Payment", 1)
    field("Card number", "CREDIT_CARD", fake.credit_card_number(), "cc-number")
    field("Expiry (MM/YY)", "CARD_EXPIRY", fake.credit_card_expire(), "cc-exp")
    field("CVV", "CARD_CVV", fake.credit_card_security_code(), "cc-csc")
    page.add("checkbox", "Save this card for next time", 2, checked="false")
    page.add("heading", "Order summary", 1)
    for _ in range(random.randint(2, 6)):
        page.add("StaticText", f"{_product(fake)} × {random.randint(1, 3)}", 2)
        page.add("StaticText", f"${random.randint(3, 400)}.{random.randint(0, 99):02d}", 2)
    page.add("StaticText", f"Estimated delivery: {fake.date_between('+2d', '+20d'):%B %d, %Y}")
    page.add("button", "Place your order")
    return page.text()


def inbox(fake: Faker) -> str:
    page = _Page("http://mail.example/inbox")
    for name in ("Compose", "Inbox", "Starred", "Sent", "Drafts", "Spam"):
        page.add("link", name)
    page.add("searchbox", "Search mail")
    for _ in range(random.randint(10, 18)):
        sender = mark("PERSON", fake.name()) if random.random() < 0.7 else fake.company()
        page.add("link", f"{sender} {fake.sentence(nb_words=6).rstrip('.')} "
                         f"{fake.month_name()[:3]} {random.randint(1, 28)}", 2)
        page.add("checkbox", "Select", 3, checked="false")
    page.add("StaticText", f"1–{random.randint(20, 50)} of {random.randint(100, 5000)}")
    return page.text()


_BODIES: tuple[Callable[[Faker], str], ...] = (
    lambda f: f"Hi {mark('PERSON', f.first_name())}, your order #{random.randint(10**6, 10**7)} "
              f"ships to {mark('STREET_ADDRESS', f.street_address())} on {f.day_of_week()}.",
    lambda f: f"Your verification code is {mark('OTP', str(random.randint(100000, 999999)))}. "
              f"It expires in 10 minutes.",
    lambda f: f"Please call me back at {mark('PHONE_NUMBER', f.phone_number())} before "
              f"{random.randint(1, 12)} pm.",
    lambda f: f"Your temporary password: {mark('PASSWORD', _password())} - change it after "
              f"you sign in.",
    lambda f: f"The invoice for {f.catch_phrase().lower()} is attached. Regards, "
              f"{mark('PERSON', f.name())}",
    lambda f: f"Forward this to {mark('EMAIL_ADDRESS', f.email())} if you cannot attend the "
              f"meeting on {f.month_name()} {random.randint(1, 28)}.",
    lambda f: f"We noticed a sign-in from {mark('IP_ADDRESS', f.ipv4_public())} using "
              f"{f.chrome()[:40]}.",
    lambda f: f"Meeting notes: {f.bs()}, then {f.bs()}. Next review in {random.randint(2, 9)} "
              f"weeks.",
)


def email_message(fake: Faker) -> str:
    page = _Page(f"http://mail.example/m/{random.randint(1000, 9999)}")
    for name in ("Back", "Archive", "Delete", "Reply", "Forward"):
        page.add("button", name)
    page.add("heading", fake.sentence(nb_words=5).rstrip("."))
    page.add("StaticText", f"From: {mark('PERSON', fake.name())} "
                           f"<{mark('EMAIL_ADDRESS', fake.email())}>")
    page.add("StaticText", f"To: me <{mark('EMAIL_ADDRESS', fake.email())}>")
    page.add("StaticText", f"{fake.date_time_this_year():%a, %b %d, %Y %I:%M %p}")
    for body in random.sample(_BODIES, 4):
        page.add("StaticText", body(fake), 2)
    page.add("textbox", "Reply", 1, value="")
    page.add("button", "Send")
    return page.text()


def account_settings(fake: Faker) -> str:
    page = _Page("http://shop.example/account")
    _nav(page)
    page.add("heading", "Your account", 0)
    birth = f"{fake.date_of_birth():%m/%d/%Y}"
    for label, value in (("Name", mark("PERSON", fake.name())),
                         ("Email", mark("EMAIL_ADDRESS", fake.email())),
                         ("Mobile number", mark("PHONE_NUMBER", fake.phone_number())),
                         ("Date of birth", mark("DATE_OF_BIRTH", birth)),
                         ("Default address", mark("STREET_ADDRESS", fake.street_address())),
                         ("Member since", f"{fake.month_name()} {random.randint(2005, 2024)}")):
        page.add("StaticText", label, 2)
        page.add("StaticText", value, 2)
        page.add("button", "Edit", 2)
    page.add("heading", "Security", 1)
    page.add("StaticText", f"Last sign-in from {mark('IP_ADDRESS', fake.ipv4_public())}", 2)
    page.add("link", "Change password", 2)
    page.add("link", "Two-step verification: On", 2)
    page.add("heading", "Developer", 1)
    page.add("StaticText", f"Personal access token: {mark('API_KEY', _github_token())}", 2)
    page.add("button", "Revoke", 2)
    return page.text()


def login_page(fake: Faker) -> str:
    page = _Page(f"http://{fake.domain_name()}/login")
    page.add("heading", "Sign in", 0)
    page.add("textbox", "Email or username", 1, autocomplete="username", value="")
    page.add("textbox", "Password", 1, type="password", autocomplete="current-password",
             value=random.choice(["", "<hidden>"]))
    page.add("StaticText", "Password must be at least 8 characters.", 1)
    page.add("checkbox", "Remember me", 1, checked="false")
    page.add("button", "Sign in", 1)
    page.add("link", "Forgot password?", 1)
    page.add("link", "Create an account", 1)
    page.add("StaticText", f"Protected by reCAPTCHA. {fake.catch_phrase()}.", 1)
    for name in ("Terms", "Privacy", "Help", "Contact us"):
        page.add("link", name, 1)
    return page.text()


PAGE_KINDS: dict[str, Callable[[Faker], str]] = {
    "shop": shop_listing, "checkout": checkout_form, "inbox": inbox, "email": email_message,
    "account": account_settings, "login": login_page,
}


def web_pages(n: int, seed: int) -> list[Labelled]:
    random.seed(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    kinds = list(PAGE_KINDS)
    return [unmark(PAGE_KINDS[kinds[i % len(kinds)]](fake), kinds[i % len(kinds)])
            for i in range(n)]


# --- task sentences with credentials (presidio-evaluator has none) ----------------------------

def _password() -> str:
    alphabet = string.ascii_letters + string.digits + "!#$%&*+-?@"
    return "".join(random.choice(alphabet) for _ in range(random.randint(8, 16)))


def _github_token() -> str:
    return "ghp_" + "".join(random.choice(string.ascii_letters + string.digits)
                            for _ in range(36))


def _api_key() -> str:
    body = "".join(random.choice(string.ascii_letters + string.digits + "_-") for _ in range(40))
    return random.choice(["sk-ant-api03-", "sk-proj-", "sk-"]) + body


def _otp() -> str:
    return str(random.randint(10**5, 10**6 - 1))


CREDENTIAL_TEMPLATES: tuple[str, ...] = (
    "Log in to my bank with password {PASSWORD} and download the statement",
    "my password is {PASSWORD}, please update the shipping address",
    "Sign in as jdoe, pw={PASSWORD}, then cancel the subscription",
    "Use the password {PASSWORD} for the router admin page",
    "The passcode for the door is {PASSWORD}",
    "password: {PASSWORD} (do not share)",
    "Enter the verification code {OTP} on the sign-in page",
    "The 2FA code from my phone is {OTP}",
    "{OTP} is your login code",
    "Type OTP {OTP} and press continue",
    "Set the API key to {API_KEY} in the settings page",
    "Add the token {GITHUB} to the repository secrets",
    "api_key={API_KEY}",
    "Paste {API_KEY} into the OpenAI key field",
    "Use the access token {GITHUB} to clone the repo",
    "Update my profile: new password {PASSWORD}, then log out",
)
# Near-misses: credential words with nothing secret after them (precision).
CREDENTIAL_DECOYS: tuple[str, ...] = (
    "Reset my password on the account page",
    "Click Forgot password? and follow the link",
    "Find the zip code 94105 on the map",
    "Change the password field to required",
    "What does error code 4040 mean on this router?",
    "Enter the promo code SAVE20 at checkout",
    "Open the API key settings and create a new key",
    "The password is required to continue",
)


def credential_sentences(templates: list[str], n: int, seed: int) -> list[Labelled]:
    random.seed(seed)
    makers = {"PASSWORD": ("PASSWORD", _password), "OTP": ("OTP", _otp),
              "API_KEY": ("API_KEY", _api_key), "GITHUB": ("API_KEY", _github_token)}
    out = []
    for _ in range(n):
        template = random.choice(templates)
        marked = re.sub(r"\{([A-Z_]+)\}",
                        lambda m: mark(makers[m.group(1)][0], makers[m.group(1)][1]()), template)
        out.append(unmark(marked, "credential"))
    return out
