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


# --- the probe: each gap a red team found, in task text and on observation lines ------------
#
# Templates hold {SLOT}s; a slot's maker returns (gold type or None, value). Decoy slots and
# decoy templates hold no gold: every finding on them is a false positive. Observation
# templates are element lines (`[#]` numbers them) that `_probe_page` puts into a small page
# (URL line, navigation, a button); one starting with "URL:" brings its own URL line. The
# templates of each gap are halved into tune and test (`probe_samples`).

_WORDS = ("Zebra", "Quartz", "Maple", "Falcon", "Cobalt", "Harbor", "Kestrel", "Plum", "Kite",
          "Orbit", "Velvet", "Tundra", "Copper", "Nimbus", "Juniper", "Saffron", "Granite",
          "Lumen", "Pepper", "Raven", "Willow", "Cedar", "Indigo", "Marble")
_B64 = string.ascii_letters + string.digits + "+/"
_B62 = string.ascii_letters + string.digits
_UPPER_DIGITS = string.ascii_uppercase + string.digits


def _rand(alphabet: str, n: int) -> str:
    return "".join(random.choice(alphabet) for _ in range(n))


def _shaped_password() -> str:
    """Keyword-less passwords as people write them: passphrases and random mixes."""
    kind = random.randrange(4)
    if kind == 0:
        return (f"{random.choice(_WORDS)}-{random.choice(_WORDS)}-{random.randint(10, 9999)}"
                f"{random.choice('!#$%&*?@')}")
    if kind == 1:
        return f"{random.choice(_WORDS)}{random.choice('!#$%&*@')}{random.choice(_WORDS)}" \
               f"{random.randint(1, 99)}"
    chars = [random.choice(string.ascii_uppercase), random.choice(string.ascii_lowercase),
             random.choice(string.digits), random.choice("!#$%&*+?@^~")]
    chars += [random.choice(string.ascii_letters + string.digits + "!#$%&*+?@")
              for _ in range(random.randint(6, 14))]
    random.shuffle(chars)
    return "".join(chars)


def _weak_shaped_password() -> str:
    """Only hyphens as symbols: a sign-in word must be near (templates say "log in" etc.)."""
    return f"{random.choice(_WORDS)}-{random.choice(_WORDS)}-{random.randint(10, 999)}"


def _simple_password() -> str:
    return random.choice(["hunter2", "s3cr3tpass", "letmein42", "Winter2024", "tr0ub4dor",
                          "p4ssw0rd!", "qwerty789", "blue42horse"]) + str(random.randint(0, 99))


def _aws_secret() -> str:
    return _rand(_B64, 40)


def _iban(country: str | None = None) -> str:
    country = country or random.choice(["DE", "GB", "FR", "NL", "ES", "IT", "CH", "AT", "BE",
                                        "PL", "IE"])
    lengths = {"DE": 22, "GB": 22, "FR": 27, "NL": 18, "ES": 24, "IT": 27, "CH": 21, "AT": 20,
               "BE": 16, "PL": 28, "IE": 22}
    size = lengths[country] - 4
    if country in ("GB", "NL", "IE"):
        bban = _rand(string.ascii_uppercase, 4) + _rand(string.digits, size - 4)
    elif country == "IT":
        bban = random.choice(string.ascii_uppercase) + _rand(string.digits, size - 1)
    else:
        bban = _rand(string.digits, size)
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def _grouped(value: str, sep: str = " ") -> str:
    return sep.join(value[i:i + 4] for i in range(0, len(value), 4))


def _iban_written() -> str:
    iban = _iban()
    style = random.randrange(4)
    if style == 0:
        return _grouped(iban).lower()
    if style == 1:
        return iban.lower()
    if style == 2:
        return _grouped(iban)
    return _grouped(iban, random.choice([" ", "-"])).capitalize()


def _bad_iban() -> str:
    iban = _iban()
    check = (int(iban[2:4]) + random.randint(1, 90)) % 100
    bad = f"{iban[:2]}{check:02d}{iban[4:]}"
    return _grouped(bad)


_FAKE = Faker("en_US")


def _card_digits() -> str:
    return _FAKE.credit_card_number(random.choice(["visa16", "mastercard", "amex", "discover"]))


def _card_written(sep: str) -> str:
    digits = _card_digits()
    if len(digits) == 15:
        return sep.join((digits[:4], digits[4:10], digits[10:]))
    return sep.join(digits[i:i + 4] for i in range(0, len(digits), 4))


def _not_luhn() -> str:
    digits = _card_digits()
    last = (int(digits[-1]) + random.randint(1, 9)) % 10
    return _grouped(digits[:-1] + str(last))


def _ssn(sep: str | None = None) -> str:
    area = random.choice([random.randint(1, 665), random.randint(667, 899)])
    sep = random.choice([" ", ".", " "]) if sep is None else sep
    return f"{area:03d}{sep}{random.randint(1, 99):02d}{sep}{random.randint(1, 9999):04d}"


_MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
              "September", "Oktober", "November", "Dezember")
_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")
_MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
              "septiembre", "octubre", "noviembre", "diciembre")


def _birth(style: str) -> str:
    d = _FAKE.date_of_birth(minimum_age=18, maximum_age=90)
    if style == "dotted":
        return f"{d:%d.%m.%Y}"
    if style == "iso-slash":
        return f"{d:%Y/%m/%d}"
    if style == "de":
        return f"{d.day}. {_MONTHS_DE[d.month - 1]} {d.year}"
    if style == "fr":
        return f"{d.day} {_MONTHS_FR[d.month - 1]} {d.year}"
    if style == "es":
        return f"{d.day} de {_MONTHS_ES[d.month - 1]} de {d.year}"
    return f"{d:%m/%d/%Y}"


def _order_date() -> str:
    d = _FAKE.date_between("-2y", "today")
    return random.choice([f"{d:%Y-%m-%d}", f"{d:%d.%m.%Y}", f"{d:%B %d, %Y}",
                          f"{d.day}. {_MONTHS_DE[d.month - 1]} {d.year}"])


_DE_STREETS = ("Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Gartenweg", "Lindenallee",
               "Goethestraße", "Berliner Straße", "Marktplatz", "Kurfürstendamm", "Am Ring")
_DE_CITIES = (("10115", "Berlin"), ("80331", "München"), ("20095", "Hamburg"),
              ("50667", "Köln"), ("60311", "Frankfurt am Main"), ("70173", "Stuttgart"))
_FR_STREETS = ("rue de la Paix", "avenue des Champs-Élysées", "boulevard Saint-Germain",
               "rue du Faubourg Saint-Honoré", "place de la République", "rue Victor Hugo",
               "allée des Tilleuls", "chemin des Vignes")
_FR_CITIES = (("75002", "Paris"), ("69001", "Lyon"), ("13001", "Marseille"),
              ("31000", "Toulouse"), ("33000", "Bordeaux"))
_UK_STREETS = ("Baker Street", "Abbey Road", "Downing Street", "Portobello Road",
               "Kings Road", "Mill Lane", "Church Close", "Victoria Gardens")
_UK_PLACES = (("London", "NW1 6XE"), ("London", "SW1A 2AA"), ("Manchester", "M1 1AE"),
              ("Leeds", "LS1 4AP"), ("Bristol", "BS1 5TR"), ("Edinburgh", "EH1 1YZ"))
_ES_IT = ("Calle Mayor {n}, 28013 Madrid", "Calle de Alcalá {n}, 28014 Madrid",
          "Carrer de Balmes {n}, 08007 Barcelona", "Via Roma {n}, 00184 Roma",
          "Via Dante {n}, 20121 Milano", "Corso Vittorio Emanuele {n}, 10121 Torino")


def _address(kind: str) -> str:
    n = random.randint(1, 180)
    if kind == "de":
        street, (plz, city) = random.choice(_DE_STREETS), random.choice(_DE_CITIES)
        suffix = random.choice(["", "a", "b"])
        return random.choice([f"{street} {n}{suffix}, {plz} {city}", f"{street} {n}{suffix}"])
    if kind == "fr":
        street, (cp, city) = random.choice(_FR_STREETS), random.choice(_FR_CITIES)
        return random.choice([f"{n} {street}, {cp} {city}", f"{n} {street}",
                              f"{n} bis {street}, {cp} {city}"])
    if kind == "uk":
        street, (city, pc) = random.choice(_UK_STREETS), random.choice(_UK_PLACES)
        house = f"{n}{random.choice(['', '', 'A', 'B'])}"
        return random.choice([f"{house} {street}, {city} {pc}", f"Flat {random.randint(1, 9)}, "
                              f"{house} {street}, {city} {pc}", f"{house} {street}"])
    if kind == "es-it":
        return random.choice(_ES_IT).format(n=n)
    return _FAKE.street_address()


_DIAGNOSES = ("type 2 diabetes", "type 1 diabetes", "HIV", "breast cancer", "depression",
              "bipolar disorder", "schizophrenia", "generalized anxiety disorder", "epilepsy",
              "multiple sclerosis", "Crohn's disease", "hepatitis C", "ADHD", "PTSD",
              "rheumatoid arthritis", "chronic kidney disease", "prostate cancer", "asthma",
              "lupus", "early-stage Parkinson's disease", "anorexia nervosa", "chlamydia")
_MEDS = ("metformin", "sertraline", "lithium", "quetiapine", "insulin glargine", "Truvada",
         "levothyroxine", "fluoxetine", "lamotrigine", "methotrexate", "Adderall",
         "buprenorphine", "escitalopram", "Ozempic", "warfarin", "tamoxifen", "lisinopril",
         "aripiprazole", "Xanax", "gabapentin")


def _med_dose() -> str:
    return f"{random.choice(_MEDS)} {random.choice([5, 10, 20, 25, 50, 100, 250, 500, 1000])} " \
           f"{random.choice(['mg', 'mg', 'mcg'])}"


_CYR_FIRST = ("Иван", "Сергей", "Дмитрий", "Алексей", "Анна", "Мария", "Елена", "Ольга",
              "Наталья", "Михаил", "Татьяна", "Андрей", "Екатерина", "Олег")
_CYR_LAST = ("Петров", "Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев",
             "Новиков", "Морозов", "Волков", "Шевченко", "Коваленко", "Бондаренко")
_CYR_PATRONYMIC = ("Иванович", "Сергеевич", "Петрович", "Алексеевна", "Дмитриевна",
                   "Михайловна", "Андреевич")


def _cyrillic_name() -> str:
    first, last = random.choice(_CYR_FIRST), random.choice(_CYR_LAST)
    if first.endswith(("а", "я")) and not last.endswith("о"):
        last += "а"
    style = random.randrange(3)
    if style == 0:
        return f"{first} {last}"
    if style == 1:
        return f"{last} {first}"
    patronymic = random.choice([p for p in _CYR_PATRONYMIC
                                if p.endswith("а") == first.endswith(("а", "я"))])
    return f"{last} {first} {patronymic}"


_ZH_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭林何高罗"
_ZH_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰小红"


def _chinese_name() -> str:
    return random.choice(_ZH_SURNAMES) + "".join(random.choice(_ZH_GIVEN)
                                                 for _ in range(random.choice([1, 2, 2])))


_AR_FIRST = ("محمد", "أحمد", "علي", "عمر", "فاطمة", "مريم", "خالد", "يوسف", "سارة", "ليلى",
             "حسن", "عبد الله", "نور")
_AR_LAST = ("الحسن", "العلي", "حداد", "منصور", "الخطيب", "سليمان", "عبد الرحمن", "النجار",
            "إبراهيم", "القاسم")


def _arabic_name() -> str:
    return f"{random.choice(_AR_FIRST)} {random.choice(_AR_LAST)}"


def _btc_address() -> str:
    import hashlib
    payload = b"\x00" + bytes(random.randrange(256) for _ in range(20))
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(payload + checksum, "big")
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = alphabet[rem] + out
    return "1" + out  # one leading zero byte


def _pem() -> str:
    body = "\n".join(_rand(_B64, 64) for _ in range(3))
    return f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"


PROBE_VAULT = ("correct horse battery", "mySecretCode77", "bluebird-harbor", "559911")

_Maker = Callable[[], tuple[str | None, str]]


def _gold(entity: str, make: Callable[[], str]) -> _Maker:
    return lambda: (entity, make())


def _decoy(make: Callable[[], str]) -> _Maker:
    return lambda: (None, make())


PROBE_SLOTS: dict[str, _Maker] = {
    # gold
    "PW_SHAPE": _gold("PASSWORD", _shaped_password),
    "PW_WEAK_SHAPE": _gold("PASSWORD", _weak_shaped_password),
    "PW": _gold("PASSWORD", _password),
    "PW_SIMPLE": _gold("PASSWORD", _simple_password),
    "SECRET_SIMPLE": _gold("API_KEY", _simple_password),
    "PIN": _gold("PASSWORD", lambda: str(random.randint(1000, 999999))),
    "AWS_SECRET": _gold("API_KEY", _aws_secret),
    "AWS_KEY_ID": _gold("API_KEY", lambda: "AKIA" + _rand(_UPPER_DIGITS, 16)),
    "NPM": _gold("API_KEY", lambda: "npm_" + _rand(_B62, 36)),
    "HF": _gold("API_KEY", lambda: "hf_" + _rand(_B62, 34)),
    "SENDGRID": _gold("API_KEY", lambda: f"SG.{_rand(_B62 + '_-', 22)}.{_rand(_B62 + '_-', 43)}"),
    "TWILIO_SID": _gold("API_KEY", lambda: "AC" + _rand("0123456789abcdef", 32)),
    "HEX32": _gold("API_KEY", lambda: _rand("0123456789abcdef", 32)),
    "SLACK_HOOK": _gold("API_KEY", lambda: "https://hooks.slack.com/services/"
                        f"T{_rand(_UPPER_DIGITS, 8)}/B{_rand(_UPPER_DIGITS, 10)}/"
                        f"{_rand(_B62, 24)}"),
    "TOKEN": _gold("API_KEY", lambda: _rand(_B62, random.randint(24, 40))),
    "GITHUB": _gold("API_KEY", _github_token),
    "OPENAI": _gold("API_KEY", _api_key),
    "PEM": _gold("PRIVATE_KEY", _pem),
    "OTP": _gold("OTP", _otp),
    "IBAN_ANY": _gold("IBAN_CODE", _iban_written),
    "IBAN": _gold("IBAN_CODE", lambda: _grouped(_iban())),
    "CARD_DOTS": _gold("CREDIT_CARD", lambda: _card_written(".")),
    "CARD": _gold("CREDIT_CARD", lambda: _card_written(random.choice([" ", "-", ""]))),
    "CVV": _gold("CARD_CVV", lambda: str(random.randint(100, 999))),
    "BANK_ACCOUNT": _gold("US_BANK_NUMBER", lambda: str(random.randint(10**9, 10**12))),
    "SSN_SPACED": _gold("US_SSN", _ssn),
    "SSN": _gold("US_SSN", lambda: _ssn("-")),
    "DOB_DOTTED": _gold("DATE_OF_BIRTH", lambda: _birth("dotted")),
    "DOB_SLASH": _gold("DATE_OF_BIRTH", lambda: _birth("iso-slash")),
    "DOB_DE": _gold("DATE_OF_BIRTH", lambda: _birth("de")),
    "DOB_FR": _gold("DATE_OF_BIRTH", lambda: _birth("fr")),
    "DOB_ES": _gold("DATE_OF_BIRTH", lambda: _birth("es")),
    "DOB_US": _gold("DATE_OF_BIRTH", lambda: _birth("us")),
    "ADDR_DE": _gold("STREET_ADDRESS", lambda: _address("de")),
    "ADDR_FR": _gold("STREET_ADDRESS", lambda: _address("fr")),
    "ADDR_UK": _gold("STREET_ADDRESS", lambda: _address("uk")),
    "ADDR_ESIT": _gold("STREET_ADDRESS", lambda: _address("es-it")),
    "ADDR_US": _gold("STREET_ADDRESS", lambda: _address("us")),
    "DIAGNOSIS": _gold("MEDICAL", lambda: random.choice(_DIAGNOSES)),
    "MED": _gold("MEDICAL", lambda: random.choice(_MEDS)),
    "MED_DOSE": _gold("MEDICAL", _med_dose),
    "NAME_CYR": _gold("PERSON", _cyrillic_name),
    "NAME_ZH": _gold("PERSON", _chinese_name),
    "NAME_AR": _gold("PERSON", _arabic_name),
    "NAME": _gold("PERSON", _FAKE.name),
    "EMAIL": _gold("EMAIL_ADDRESS", _FAKE.email),
    "EMAIL_PCT": _gold("EMAIL_ADDRESS", lambda: _FAKE.email().replace("@", "%40")),
    "PHONE": _gold("PHONE_NUMBER", lambda: random.choice(["(415) 555-0132", "+44 20 7946 0958",
                                                          "+49 30 901820", "+1 212 555 0199",
                                                          "+33 1 42 68 53 00", "650-253-0000"])),
    "IP": _gold("IP_ADDRESS", _FAKE.ipv4_public),
    "BTC": _gold("CRYPTO", _btc_address),
    "VAULT": _gold("VAULT_SECRET", lambda: random.choice(PROBE_VAULT)),
    # decoys
    "ORDER_NO": _decoy(lambda: random.choice([
        f"{random.randint(100, 999)}-{random.randint(10**6, 10**7 - 1)}-"
        f"{random.randint(10**6, 10**7 - 1)}",
        f"A{random.randint(10**7, 10**8 - 1)}", f"2024-{random.randint(100000, 999999)}",
        f"ORD-{random.randint(10**5, 10**6 - 1)}-{_rand(string.ascii_uppercase, 2)}"])),
    "SKU": _decoy(lambda: random.choice([
        f"WH-{random.randint(1000, 9999)}XM{random.randint(1, 9)}-BLK",
        f"SKU-{_rand(string.ascii_uppercase, 3)}-{random.randint(100, 99999)}",
        f"{_rand(string.ascii_uppercase, 2)}{random.randint(10**5, 10**6)}-"
        f"{random.randint(10, 99)}",
        f"B0{_rand(string.ascii_uppercase + string.digits, 8)}"])),
    "TRACKING": _decoy(lambda: random.choice([
        f"1Z{_rand(string.ascii_uppercase + string.digits, 6)}{random.randint(10**9, 10**10 - 1)}",
        f"9400 1000 0000 {random.randint(1000, 9999)} {random.randint(1000, 9999)} "
        f"{random.randint(10, 99)}",
        f"JD{random.randint(10**15, 10**16 - 1)}", f"LX{random.randint(10**8, 10**9 - 1)}DE"])),
    "PRICE": _decoy(lambda: random.choice([
        f"${random.randint(1, 2999):,}.{random.randint(0, 99):02d}",
        f"€ {random.randint(1, 999)},{random.randint(0, 99):02d}",
        f"£{random.randint(1, 500)}.{random.randint(0, 99):02d}",
        f"{random.randint(1, 9999)}.{random.randint(0, 99):02d} zł"])),
    "VERSION": _decoy(lambda: random.choice([
        f"v{random.randint(1, 9)}.{random.randint(0, 20)}.{random.randint(0, 99)}",
        f"10.0.{random.randint(10000, 22999)}.{random.randint(1000, 4999)}",
        f"{random.randint(1, 5)}.{random.randint(0, 9)}.{random.randint(0, 9)}-beta."
        f"{random.randint(1, 9)}",
        f"Build {random.randint(2019, 2025)}.{random.randint(1, 12):02d}."
        f"{random.randint(1, 28):02d}"])),
    "ORDER_DATE": _decoy(_order_date),
    "PRODUCT_CODE": _decoy(lambda: random.choice([
        "Galaxy-S24-Ultra", "iPhone-15-Pro-Max", "Pixel-8a", "Model-3-Long-Range", "RTX-4090-OC",
        "Surface-Pro-9", "AirPods-Pro-2", "Ryzen-7-7800X3D", "ThinkPad-X1-Carbon-Gen11",
        "Core-i9-14900K", "XPS-13-Plus", "Mavic-3-Pro"])),
    "GIT_SHA": _decoy(lambda: _rand("0123456789abcdef", 40)),
    "UUID": _decoy(lambda: str(__import__("uuid").UUID(int=random.getrandbits(128)))),
    "BAD_IBAN": _decoy(_bad_iban),
    "NOT_LUHN": _decoy(_not_luhn),
    "CITY": _decoy(lambda: random.choice(["Berlin", "Paris", "London", "Madrid", "Roma",
                                          "München", "Lyon", "Manchester", "Москва", "北京",
                                          "القاهرة", "Санкт-Петербург"])),
    "COUPON": _decoy(lambda: random.choice(["SAVE20", "WELCOME10", "SPRING-2024", "FREESHIP",
                                            "BLACKFRIDAY25"])),
    "YEAR": _decoy(lambda: str(random.randint(2015, 2026))),
}

# (gap, where, template)
PROBE_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    # 1. passwords without a keyword, and in URL/form parameters
    ("password-shape", "task", "Sign in to the router with admin / {PW_SHAPE} and reboot it"),
    ("password-shape", "task", "Use {PW_SHAPE} for the Netflix account and change the plan"),
    ("password-shape", "task", "Open my bank account at bank.example, username jdoe, {PW_SHAPE}"),
    ("password-shape", "task", "Credentials: hquist {PW_SHAPE} - then check the inbox"),
    ("password-shape", "task", "My wifi key is {PW_SHAPE}, connect the printer to it"),
    ("password-shape", "task",
     "Log into the portal as m.smith with {PW_WEAK_SHAPE} and download the payslip"),
    ("password-shape", "task", "Try {PW_SHAPE} on the login page; if it fails reset it"),
    ("password-shape", "task", "hquist:{PW_SHAPE} is the login for the admin panel"),
    ("password-shape", "observation",
     "[#] StaticText 'Your new credentials'\n[#] StaticText 'User: hquist'\n[#] StaticText "
     "'{PW_SHAPE}'"),
    ("password-shape", "observation",
     "[#] StaticText 'Temporary sign-in code for your account: {PW_SHAPE}'"),
    ("password-shape", "observation", "[#] textbox 'Wi-Fi network key' value='{PW_SHAPE}'"),
    ("password-shape", "observation",
     "[#] StaticText 'Hi Sam, as discussed: {PW_SHAPE} (change it after you log in)'"),
    ("password-shape", "observation", "[#] StaticText 'Login: admin / {PW_WEAK_SHAPE}'"),
    ("password-shape", "observation", "[#] textbox 'Confirm' type=text value='{PW_SHAPE}'"),
    ("password-param", "task",
     "Go to https://bank.example/login?user=bob&pass={PW_SIMPLE}&next=/home"),
    ("password-param", "task",
     "Post user=alice pwd={PW_SIMPLE} to the form and see what it returns"),
    ("password-param", "task", "Open http://router.local/cgi?action=login&pin={PIN}"),
    ("password-param", "task",
     "The staging URL is https://api.example/v1?secret={SECRET_SIMPLE}&debug=1"),
    ("password-param", "task", "Call https://hooks.example/run?token={TOKEN}&job=42"),
    ("password-param", "task", "Use db_password={PW_SIMPLE} in the connection string"),
    ("password-param", "observation",
     "URL: https://portal.example/login?user=jdoe&password={PW_SIMPLE}&remember=1\n[#] "
     "heading 'Welcome back'"),
    ("password-param", "observation",
     "URL: https://shop.example/reset?token={TOKEN}\n[#] heading 'Choose a new password'"),
    ("password-param", "observation",
     "[#] link 'https://intranet.example/sso?pwd={PW_SIMPLE}&u=ops'"),
    ("password-param", "observation",
     "[#] StaticText 'curl -d \"user=ops&pass={PW_SIMPLE}\" https://ops.example/api'"),
    ("password-param", "observation",
     "URL: https://files.example/share?secret={SECRET_SIMPLE}&id=77\n[#] heading 'Shared "
     "folder'"),
    ("password-param", "observation",
     "URL: https://atm.example/verify?pin={PIN}\n[#] heading 'Verify'"),
    # 2. AWS secret keys and other API tokens
    ("api-token", "task",
     "Configure the CLI: aws_access_key_id {AWS_KEY_ID}, aws_secret_access_key {AWS_SECRET}"),
    ("api-token", "task", "Set AWS secret {AWS_SECRET} in the deployment settings"),
    ("api-token", "task", "Paste {AWS_SECRET} into the S3 backup form"),
    ("api-token", "task", "Publish the package with {NPM}"),
    ("api-token", "task", "Log in to Hugging Face using {HF} and download the model"),
    ("api-token", "task", "Add the SendGrid key {SENDGRID} to the mail settings"),
    ("api-token", "task", "Twilio account {TWILIO_SID}, auth token {HEX32}: send the SMS"),
    ("api-token", "task", "Post the build status to {SLACK_HOOK}"),
    ("api-token", "task", "The API key is {TOKEN}, put it in the integration page"),
    ("api-token", "task", "Use token {TOKEN} to call the weather service"),
    ("api-token", "observation",
     "[#] StaticText 'Secret access key'\n[#] StaticText '{AWS_SECRET}'"),
    ("api-token", "observation",
     "[#] StaticText 'Access key ID: {AWS_KEY_ID}'\n[#] StaticText 'Secret: {AWS_SECRET}'"),
    ("api-token", "observation", "[#] StaticText '{AWS_SECRET}'\n[#] button 'Copy'"),
    ("api-token", "observation", "[#] StaticText 'Your new npm token: {NPM}'"),
    ("api-token", "observation", "[#] textbox 'User access token' value='{HF}'"),
    ("api-token", "observation", "[#] StaticText 'API key'\n[#] StaticText '{SENDGRID}'"),
    ("api-token", "observation",
     "[#] StaticText 'Account SID {TWILIO_SID}'\n[#] StaticText 'Auth token: {HEX32}'"),
    ("api-token", "observation", "[#] textbox 'Webhook URL' value='{SLACK_HOOK}'"),
    ("api-token", "observation", "[#] StaticText 'Client secret: {TOKEN}'"),
    ("api-token", "observation", "[#] textbox 'API key' value='{TOKEN}'"),
    # 3. IBANs in lower case or grouped
    ("iban", "task", "Wire 200 EUR to {IBAN_ANY} for the rent"),
    ("iban", "task", "my iban is {IBAN_ANY}, put it in the payout form"),
    ("iban", "task", "Refund to account {IBAN_ANY} please"),
    ("iban", "task", "Set up a standing order from {IBAN_ANY} on the 1st"),
    ("iban", "observation", "[#] StaticText 'IBAN: {IBAN_ANY}'"),
    ("iban", "observation", "[#] textbox 'Account (IBAN)' value='{IBAN_ANY}'"),
    ("iban", "observation", "[#] StaticText 'Beneficiary account'\n[#] StaticText '{IBAN_ANY}'"),
    ("iban", "observation", "[#] StaticText 'Pay to {IBAN_ANY} within 14 days.'"),
    # 4. card numbers with dots or split over elements
    ("card", "task", "Pay with card {CARD_DOTS}, expiry 04/27"),
    ("card", "task", "Use {CARD_DOTS} for the hotel deposit"),
    ("card", "task", "My Visa is {CARD_DOTS} and the CVV is {CVV}"),
    ("card", "task", "Charge {CARD} for the order"),
    ("card", "observation", "[#] StaticText 'Card: {CARD_DOTS}'"),
    ("card", "observation", "[#] textbox 'Card number' value='{CARD_DOTS}'"),
    ("card", "observation", "SPLIT_CARD StaticText"),
    ("card", "observation", "SPLIT_CARD textbox"),
    ("card", "observation", "[#] StaticText 'Saved card {CARD} (expires 09/28)'"),
    # 5. SSNs with spaces next to their label
    ("ssn", "task", "My SSN is {SSN_SPACED}, fill in the tax form"),
    ("ssn", "task", "social security number {SSN_SPACED} for the background check"),
    ("ssn", "task", "Enter SSN: {SSN_SPACED} on the benefits page"),
    ("ssn", "task", "Use ssn {SSN} for the application"),
    ("ssn", "observation", "[#] StaticText 'SSN: {SSN_SPACED}'"),
    ("ssn", "observation",
     "[#] StaticText 'Social Security Number'\n[#] StaticText '{SSN_SPACED}'"),
    ("ssn", "observation", "[#] textbox 'Social security number' value='{SSN_SPACED}'"),
    ("ssn", "observation", "[#] StaticText 'Employee SSN {SSN_SPACED} verified'"),
    # 6. non-US birth dates and addresses
    ("birth-date", "task", "Geburtsdatum: {DOB_DOTTED}, bitte im Formular eintragen"),
    ("birth-date", "task", "Fill in date of birth {DOB_SLASH} on the visa form"),
    ("birth-date", "task", "I was born {DOB_DE} in Hamburg"),
    ("birth-date", "task", "date de naissance : {DOB_FR}, remplis le formulaire"),
    ("birth-date", "task", "fecha de nacimiento {DOB_ES}"),
    ("birth-date", "task", "DOB {DOB_US}, name on the ticket is mine"),
    ("birth-date", "observation", "[#] StaticText 'Geburtsdatum'\n[#] StaticText '{DOB_DOTTED}'"),
    ("birth-date", "observation", "[#] textbox 'Date de naissance' value='{DOB_DOTTED}'"),
    ("birth-date", "observation", "[#] StaticText 'Date of birth: {DOB_DE}'"),
    ("birth-date", "observation", "[#] StaticText 'Fecha de nacimiento: {DOB_ES}'"),
    ("birth-date", "observation", "[#] StaticText 'Born {DOB_SLASH}'"),
    ("birth-date", "observation", "[#] StaticText 'Date of birth'\n[#] StaticText '{DOB_US}'"),
    ("address", "task", "Ship the parcel to {ADDR_DE}"),
    ("address", "task", "Deliver to {ADDR_FR} before Friday"),
    ("address", "task", "My address is {ADDR_UK}"),
    ("address", "task", "Send the invoice to {ADDR_ESIT}"),
    ("address", "task", "Change my billing address to {ADDR_US}"),
    ("address", "task", "Book a taxi from {ADDR_DE} to the airport"),
    ("address", "observation", "[#] StaticText 'Lieferadresse'\n[#] StaticText '{ADDR_DE}'"),
    ("address", "observation", "[#] StaticText 'Adresse de livraison : {ADDR_FR}'"),
    ("address", "observation", "[#] StaticText 'Deliver to: {ADDR_UK}'"),
    ("address", "observation", "[#] textbox 'Street' value='{ADDR_ESIT}'"),
    ("address", "observation", "[#] StaticText 'Shipping to {ADDR_US}'"),
    ("address", "observation", "[#] StaticText 'Home: {ADDR_FR}'"),
    # 7. medical data
    ("medical", "task", "I was diagnosed with {DIAGNOSIS}, find a support group nearby"),
    ("medical", "task", "My doctor prescribed {MED}; order a refill at the pharmacy"),
    ("medical", "task", "Refill my {MED} prescription"),
    ("medical", "task", "Book an appointment: I have {DIAGNOSIS} and need a specialist"),
    ("medical", "task", "Add {MED_DOSE} twice daily to my medication list"),
    ("medical", "task", "My son's {DIAGNOSIS} got worse, find a clinic that treats it"),
    ("medical", "task", "She is being treated for {DIAGNOSIS}; email her manager about leave"),
    ("medical", "task", "Ask the insurer whether {MED_DOSE} is covered"),
    ("medical", "observation", "[#] StaticText 'Diagnosis: {DIAGNOSIS}'"),
    ("medical", "observation", "[#] StaticText 'Current medications'\n[#] StaticText '{MED_DOSE}'"),
    ("medical", "observation", "[#] StaticText 'Prescription: {MED_DOSE}, 30 tablets'"),
    ("medical", "observation", "[#] StaticText 'Condition'\n[#] StaticText '{DIAGNOSIS}'"),
    ("medical", "observation", "[#] StaticText 'Patient was diagnosed with {DIAGNOSIS} in 2019.'"),
    ("medical", "observation", "[#] StaticText 'Your refill of {MED_DOSE} is ready for pickup'"),
    ("medical", "observation", "[#] textbox 'Reason for visit' value='follow-up for {DIAGNOSIS}'"),
    # 8. names in Cyrillic, Chinese and Arabic script
    ("script-name", "task", "Email {NAME_CYR} about the invoice"),
    ("script-name", "task", "Send the contract to {NAME_CYR} by Monday"),
    ("script-name", "task", "Send the report to {NAME_ZH} by Friday"),
    ("script-name", "task", "Book a table for {NAME_ZH} at 7 pm"),
    ("script-name", "task", "Call {NAME_AR} tomorrow about the visa"),
    ("script-name", "task", "Reply to {NAME_AR} and confirm the meeting"),
    ("script-name", "observation", "[#] StaticText 'From: {NAME_CYR}'"),
    ("script-name", "observation", "[#] link '{NAME_CYR} — Счёт за март'"),
    ("script-name", "observation", "[#] StaticText '收件人：{NAME_ZH}'"),
    ("script-name", "observation", "[#] StaticText 'Contact: {NAME_ZH}'"),
    ("script-name", "observation", "[#] StaticText 'الاسم: {NAME_AR}'"),
    ("script-name", "observation", "[#] StaticText 'Sender: {NAME_AR}'"),
    # 9. names in field values, placeholders and alt texts
    ("field-name", "observation", "[#] textbox 'Full name' value='{NAME}'"),
    ("field-name", "observation", "[#] textbox 'Recipient name' value='{NAME}'"),
    ("field-name", "observation", "[#] textbox 'Name on card' value='{NAME}'"),
    ("field-name", "observation", "[#] textbox 'Cardholder' placeholder='{NAME}'"),
    ("field-name", "observation", "[#] img '{NAME}'"),
    ("field-name", "observation", "[#] img 'Photo of {NAME}'"),
    ("field-name", "observation", "[#] textbox 'To' value='{NAME}'"),
    ("field-name", "observation", "[#] combobox 'Assignee' value='{NAME}'"),
    # 10. percent-encoding inside text
    ("percent", "task", "Open https://shop.example/track?email={EMAIL_PCT}&order=123"),
    ("percent", "task", "The unsubscribe link is https://news.example/u?e={EMAIL_PCT}"),
    ("percent", "task", "Search for {EMAIL_PCT} in the admin panel"),
    ("percent", "observation", "[#] link 'https://crm.example/contact?mail={EMAIL_PCT}'"),
    ("percent", "observation",
     "[#] StaticText 'Redirecting to /login?next=%2Faccount&user={EMAIL_PCT}'"),
    ("percent", "observation", "[#] StaticText 'Sent to {EMAIL_PCT}'"),
    # existing types (regression)
    ("existing", "task", "Log in with password {PW} and download the statement"),
    ("existing", "task", "Enter the verification code {OTP} on the sign-in page"),
    ("existing", "task", "Set the API key to {OPENAI} and the GitHub token to {GITHUB}"),
    ("existing", "task", "Here is the deploy key:\n{PEM}"),
    ("existing", "task", "Pay with {CARD} and CVV {CVV}"),
    ("existing", "task", "Wire from IBAN {IBAN} to my landlord"),
    ("existing", "task", "Transfer from checking account number {BANK_ACCOUNT}"),
    ("existing", "task", "My SSN is {SSN} and my date of birth is {DOB_US}"),
    ("existing", "task", "Email {EMAIL} or call {PHONE} to confirm"),
    ("existing", "task", "Ask {NAME} to approve the expense report"),
    ("existing", "task", "Send 0.01 BTC to {BTC}"),
    ("existing", "task", "Block the IP {IP} in the firewall"),
    ("existing", "task", "Log in with {VAULT} on the shop"),
    ("existing", "task", "Ship it to {ADDR_US}"),
    ("existing", "observation", "[#] StaticText 'Your temporary password: {PW}'"),
    ("existing", "observation", "[#] StaticText 'Your verification code is {OTP}.'"),
    ("existing", "observation", "[#] StaticText 'Personal access token: {GITHUB}'"),
    ("existing", "observation",
     "[#] textbox 'Card number' autocomplete=cc-number value='{CARD}'\n[#] textbox 'CVV' "
     "autocomplete=cc-csc value='{CVV}'"),
    ("existing", "observation", "[#] StaticText 'IBAN: {IBAN}'"),
    ("existing", "observation", "[#] StaticText 'Account number: {BANK_ACCOUNT}'"),
    ("existing", "observation", "[#] StaticText 'SSN: {SSN}'"),
    ("existing", "observation",
     "[#] StaticText 'From: <{EMAIL}>'\n[#] StaticText 'Call me at {PHONE}'"),
    ("existing", "observation", "[#] StaticText 'Last sign-in from {IP}'"),
    ("existing", "observation", "[#] StaticText 'Deposit address {BTC}'"),
    ("existing", "observation", "[#] StaticText 'your code {VAULT} was accepted'"),
    ("existing", "observation", "[#] textbox 'Email' type=email value='{EMAIL}'"),
    # decoys: nothing here is private
    ("decoy", "task", "Track order {ORDER_NO} (tracking {TRACKING}) and tell me when it arrives"),
    ("decoy", "task", "Find SKU {SKU} and add two to the cart"),
    ("decoy", "task", "Compare the {PRODUCT_CODE} and the {PRODUCT_CODE} under {PRICE}"),
    ("decoy", "task", "Upgrade the app to {VERSION} and restart"),
    ("decoy", "task", "Click Forgot password? and reset it by email"),
    ("decoy", "task", "Enter your PIN at the terminal, then print the receipt"),
    ("decoy", "task", "What did I order on {ORDER_DATE}?"),
    ("decoy", "task", "Find flights from {CITY} to {CITY} in May"),
    ("decoy", "task", "Check out commit {GIT_SHA} and run the tests"),
    ("decoy", "task", "Apply coupon {COUPON} at checkout"),
    ("decoy", "task", "Open the API key settings and create a new token"),
    ("decoy", "task", "Search for diabetes-friendly recipes and cancer research charities"),
    ("decoy", "task", "Buy ibuprofen 200 mg and vitamin D3 1000 IU"),
    ("decoy", "task", "Find a hotel near Bahnhofstraße in {CITY}"),
    ("decoy", "task", "Is gift card {NOT_LUHN} still valid?"),
    ("decoy", "task", "Reference {BAD_IBAN} on the invoice is wrong, ask support"),
    ("decoy", "task", "Read the article about Russian history on Wikipedia"),
    ("decoy", "task", "Book the {YEAR} conference in {CITY}"),
    ("decoy", "observation",
     "[#] StaticText 'Order #{ORDER_NO} placed on {ORDER_DATE}'\n[#] StaticText 'Tracking "
     "number: {TRACKING}'"),
    ("decoy", "observation",
     "[#] link '{PRODUCT_CODE} 256GB'\n[#] StaticText '{PRICE}'\n[#] StaticText 'SKU: {SKU}'"),
    ("decoy", "observation",
     "[#] link 'Forgot password?'\n[#] StaticText 'Enter your PIN'\n[#] link 'Show password'"),
    ("decoy", "observation",
     "[#] StaticText 'Password must be at least 8 characters and contain a number.'"),
    ("decoy", "observation", "[#] StaticText 'Version {VERSION} — released {ORDER_DATE}'"),
    ("decoy", "observation",
     "[#] StaticText 'Commit {GIT_SHA}'\n[#] StaticText 'Request ID {UUID}'"),
    ("decoy", "observation",
     "[#] link 'Diabetes Awareness Month'\n[#] link 'Cancer Research UK'\n[#] link 'Shop "
     "allergy relief'"),
    ("decoy", "observation", "[#] link 'Ibuprofen 200 mg, 100 tablets'\n[#] StaticText '{PRICE}'"),
    ("decoy", "observation", "[#] StaticText 'Stores in {CITY}, {CITY} and {CITY}'"),
    ("decoy", "observation",
     "[#] link 'Главная'\n[#] link 'Корзина'\n[#] link 'Войти в аккаунт'\n[#] StaticText "
     "'Российская Федерация'"),
    ("decoy", "observation",
     "[#] link '首页'\n[#] link '高级设置'\n[#] StaticText '周末特价'\n[#] link '金额明细'"),
    ("decoy", "observation",
     "[#] link 'الصفحة الرئيسية'\n[#] button 'تسجيل الدخول'\n[#] StaticText 'مرحبا بكم في "
     "المتجر'"),
    ("decoy", "observation",
     "[#] StaticText 'Use code {COUPON} for 20% off'\n[#] StaticText 'Gift card {NOT_LUHN}'"),
    ("decoy", "observation",
     "[#] StaticText 'Order date: {ORDER_DATE}'\n[#] StaticText 'Delivered {ORDER_DATE}'"),
    ("decoy", "observation",
     "[#] textbox 'Search products' value='{PRODUCT_CODE}'\n[#] textbox 'Full name' "
     "placeholder='e.g. Jane Doe'"),
    ("decoy", "observation",
     "[#] img 'Company logo'\n[#] img 'Product photo'\n[#] textbox 'Coupon code' "
     "placeholder='Enter code'"),
    ("decoy", "observation", "[#] StaticText 'Invoice reference {BAD_IBAN}'"),
    ("decoy", "observation",
     "[#] StaticText 'Save 50%25 today only'\n[#] link 'Spring 2024 collection'"),
)
PROBE_GAPS = tuple(dict.fromkeys(gap for gap, _, _ in PROBE_TEMPLATES))
_SITES = ("shop.example", "bank.example", "mail.example", "clinic.example", "account.example")


def _fill(template: str) -> str:
    def slot(match: re.Match[str]) -> str:
        entity, value = PROBE_SLOTS[match.group(1)]()
        return mark(entity, value) if entity else value

    return re.sub(r"\{([A-Z_0-9]+)\}", slot, template)


def _split_card_lines(role: str) -> str:
    digits = _card_digits()
    groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
    if role == "textbox":
        return "\n".join(f"[#] textbox 'Card number, part {i + 1}' value='{mark('CREDIT_CARD', g)}'"
                         for i, g in enumerate(groups))
    return "[#] StaticText 'Card number'\n" + "\n".join(
        f"[#] StaticText '{mark('CREDIT_CARD', g)}'" for g in groups)


def _probe_page(lines: str) -> str:
    path = random.choice(["account", "checkout", "inbox", "settings", "profile"])
    url, body = f"URL: https://{random.choice(_SITES)}/{path}", lines
    if lines.startswith("URL:"):
        url, _, body = lines.partition("\n")
    out = [url, "[#] link 'Home'", "[#] link 'Orders'", "[#] searchbox 'Search'"]
    out += [" " + line for line in body.split("\n")]
    out += ["[#] button 'Continue'", "[#] link 'Help'"]
    text, counter = "\n".join(out), iter(range(1, 10_000))
    return re.sub(r"\[#\]", lambda _: f"[{next(counter)}]", text)


def probe_templates(split: str, seed: int) -> list[tuple[str, str, str]]:
    """The templates of `split`: each gap's templates, per form (task/observation), shuffled
    with `seed` and halved."""
    chosen = []
    for gap in PROBE_GAPS:
        for where in ("task", "observation"):
            group = [t for t in PROBE_TEMPLATES if t[0] == gap and t[1] == where]
            shuffled = list(group)
            random.Random(f"{seed}/{gap}/{where}").shuffle(shuffled)
            half = len(shuffled) // 2
            chosen += shuffled[half:] if split == "test" else shuffled[:half]
    return chosen


def probe_samples(split: str, seed: int, per_template: int = 6) -> list[Labelled]:
    """Labelled probe texts; `kind` is "gap/where" (where: task or observation)."""
    random.seed(seed)
    _FAKE.seed_instance(seed)
    out = []
    for gap, where, template in probe_templates(split, seed):
        for _ in range(per_template):
            if template.startswith("SPLIT_CARD"):
                marked = _split_card_lines(template.split()[1])
            else:
                marked = _fill(template)
            if where == "observation":
                marked = _probe_page(marked)
            out.append(unmark(marked, f"{gap}/{where}"))
    return out
