"""Word lists and a seeded random source for the generated data.

People, places and companies are built from syllables so that none is a real one; emails use
the reserved `example` domains. Every draw goes through `Rng`, seeded by a string: Python's
string seeding hashes with SHA-512, so a (family, seed) gives the same site on every run and
machine (PYTHONHASHSEED does not matter).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

_FIRST_A = ("Al", "Bren", "Cor", "Dav", "El", "Fen", "Gal", "Hal", "Iv", "Jor", "Kel", "Lun",
            "Mar", "Nor", "Or", "Pell", "Quin", "Ros", "Sol", "Tam", "Ul", "Vel", "Wyn", "Yor",
            "Zel", "Bel", "Cas", "Dor", "Fay", "Lor")
_FIRST_B = ("a", "o", "en", "is", "ia", "ric", "wen", "ette", "ion", "ara", "ix", "elle")
_LAST_A = ("Tor", "Ash", "Quill", "Marr", "Fenn", "Brack", "Hollo", "Vant", "Orr", "Kesh",
           "Lind", "Stow", "Wend", "Pry", "Carr", "Dunn", "Mell", "Rook", "Thorn", "Yarr")
_LAST_B = ("vane", "by", "wick", "mere", "ley", "ford", "stead", "holm", "sworth", "ridge",
           "cott", "dale", "well", "ton")
_PLACE_A = ("Elm", "Brindle", "Oster", "Marl", "Quarry", "Fallow", "Heron", "Lantern", "Wick",
            "Copper", "Amber", "Juniper", "Thistle", "Larch", "Millen", "Saffron")
_PLACE_B = ("ford", " Bay", "wick", " Hollow", "mouth", " Crossing", "stead", " Point", "ham",
            " Vale", "bury", " Harbor")
_STREETS = ("Juniper Lane", "Orchard Row", "Kestrel Street", "Lantern Way", "Bramble Road",
            "Foundry Street", "Heron Avenue", "Willow Court", "Quarry Lane", "Saltmarsh Road",
            "Beacon Street", "Tannery Row")
_BRAND_A = ("Quill", "Brindle", "Nimbus", "Larks", "Fern", "Cobalt", "Tide", "Ember", "Moss",
            "Pebble", "Orbit", "Kite", "Harbor", "Maple", "Vesper", "Zephyr")
_BRAND_B = ("ora", "bank", "well", "ly", "works", "hub", "mart", "nest", "path", "line",
            "field", "loop")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "inbox.example")
ADJECTIVES = ("Amber", "Bluefin", "Cedar", "Dune", "Ember", "Frost", "Granite", "Harbor",
              "Indigo", "Juniper", "Kelp", "Lumen", "Moss", "Nordic", "Opal", "Pine", "Quartz",
              "Rust", "Slate", "Tidal", "Umber", "Velvet", "Willow", "Zinc")
PRODUCTS = ("Kettle", "Desk Lamp", "Backpack", "Water Bottle", "Headphones", "Notebook",
            "Throw Blanket", "Coffee Grinder", "Travel Mug", "Rain Jacket", "Yoga Mat",
            "Wall Clock", "Cutting Board", "Bike Light", "Plant Pot", "Tea Set", "Wool Socks",
            "Phone Stand", "Fruit Bowl", "Umbrella")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


class Rng(random.Random):
    """random.Random with the draws the generator needs. Seeded by a string."""

    def __init__(self, *parts: object) -> None:
        super().__init__("/".join(str(p) for p in parts))

    def pick(self, options: Sequence[T]) -> T:
        return options[self.randrange(len(options))]

    def chance(self, p: float) -> bool:
        return self.random() < p

    def some(self, options: Sequence[T], k: int) -> list[T]:
        return self.sample(list(options), k)

    def unique(self, make: Callable[[], T], n: int) -> list[T]:
        """`n` distinct draws of `make`, in the order first drawn."""
        out: list[T] = []
        while len(out) < n:
            value = make()
            if value not in out:
                out.append(value)
        return out

    def first_name(self) -> str:
        return self.pick(_FIRST_A) + self.pick(_FIRST_B)

    def last_name(self) -> str:
        return self.pick(_LAST_A) + self.pick(_LAST_B)

    def person(self) -> tuple[str, str]:
        return self.first_name(), self.last_name()

    def email(self, first: str, last: str) -> str:
        style = self.randrange(3)
        local = (f"{first}.{last}" if style == 0 else f"{first[0]}{last}" if style == 1
                 else f"{first}{self.randint(2, 99)}")
        return f"{local.lower()}@{self.pick(EMAIL_DOMAINS)}"

    def username(self, first: str, last: str) -> str:
        return f"{first[:self.randint(1, 4)]}{last[:4]}{self.randint(10, 999)}".lower()

    def digits(self, n: int) -> str:
        return "".join(str(self.randrange(10)) for _ in range(n))

    def code(self, letters: int, digits: int) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        return "".join(self.pick(alphabet) for _ in range(letters)) + self.digits(digits)

    def password(self) -> str:
        words = ("maple", "orbit", "cinder", "lagoon", "fable", "quartz", "tundra", "pixel")
        return f"{self.pick(words).title()}-{self.pick(words)}-{self.randint(10, 99)}!"

    def city(self) -> str:
        return self.pick(_PLACE_A) + self.pick(_PLACE_B)

    def street(self) -> str:
        return f"{self.randint(2, 240)} {self.pick(_STREETS)}"

    def postal(self) -> str:
        return self.digits(5)

    def brand(self) -> str:
        return self.pick(_BRAND_A) + self.pick(_BRAND_B)

    def products(self, n: int) -> list[str]:
        """`n` distinct product names; some share a word so a search returns several."""
        return self.unique(lambda: f"{self.pick(ADJECTIVES)} {self.pick(PRODUCTS)}", n)

    def cents(self, low: int, high: int) -> int:
        return self.randint(low, high) * 100 + self.pick((0, 0, 50, 99, 25, 95, 49))

    def date(self, year: int = 2026) -> tuple[int, int, int]:
        return year, self.randint(1, 12), self.randint(1, 28)


def money(cents: int, symbol: str = "$") -> str:
    return f"{symbol}{cents // 100:,}.{cents % 100:02d}"


def long_date(ymd: tuple[int, int, int]) -> str:
    year, month, day = ymd
    return f"{MONTHS[month - 1]} {day}, {year}"


def some_date(rng: Rng) -> str:
    """A date of 2026, written out ("March 3, 2026")."""
    return long_date(rng.date())


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())
