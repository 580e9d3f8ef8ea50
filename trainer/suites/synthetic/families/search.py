"""Search -> results -> detail. The task names an item: the agent searches for it, opens the
right result among look-alikes, then reads a detail or adds it to the cart (from the detail
page, or from the results where every row has the same "Add to cart" button)."""

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
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import AnswerCheck, Check, LogCheck, UrlCheck
from trainer.suites.synthetic.words import ADJECTIVES, PRODUCTS, Rng, money

FAMILY, SPLIT = "search", "train"
SUMMARY = "search box, results with look-alikes, detail page: read a detail or add to cart"

ATTRIBUTES: dict[str, Callable[[Rng], str]] = {
    "SKU": lambda r: f"{r.code(2, 0)}-{r.digits(5)}",
    "Weight": lambda r: f"{r.randint(1, 40) / 10:.1f} kg",
    "Warranty": lambda r: r.pick(("1 year", "2 years", "3 years", "5 years", "6 months")),
    "Rating": lambda r: f"{r.randint(30, 50) / 10:.1f} out of 5",
    "Color": lambda r: r.pick(("Slate gray", "Forest green", "Sand", "Navy", "Rust red")),
    "Ships within": lambda r: r.pick(("24 hours", "2 days", "1 week")),
}
SEARCH_LABELS = ("Search", "Search products", "Search the store", "What are you looking for?")
SEARCH_BUTTONS = ("Search", "Go", "Find")
ADD = ("Add to cart", "Add to basket", "Add to bag")


def catalog(rng: Rng, n: int) -> list[str]:
    """Product names; the first is the target and two others share one of its words."""
    target_adj, target_noun = rng.pick(ADJECTIVES), rng.pick(PRODUCTS)
    names = [f"{target_adj} {target_noun}",
             f"{target_adj} {rng.pick([p for p in PRODUCTS if p != target_noun])}",
             f"{rng.pick([a for a in ADJECTIVES if a != target_adj])} {target_noun}"]
    while len(names) < n:
        name = f"{rng.pick(ADJECTIVES)} {rng.pick(PRODUCTS)}"
        if name not in names:
            names.append(name)
    order = rng.some(range(n), n)
    return [names[i] for i in order]


def matches(names: list[str], query: str) -> list[int]:
    words = {w for w in query.lower().split() if len(w) > 1}
    return [i for i, name in enumerate(names) if words & set(name.lower().split())]


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    names = catalog(rng, rng.randint(8, 14))
    prices = [rng.cents(5, 180) for _ in names]
    attrs = [{k: gen(rng) for k, gen in ATTRIBUTES.items()} for _ in names]
    # The target is a name that shares a word with two others: its search finds look-alikes.
    target = next(i for i, n in enumerate(names)
                  if sum(1 for m in names if set(m.split()) & set(n.split())) >= 3)
    target_name = names[target]
    mode = rng.pick(("detail", "add-detail", "add-results"))
    attribute = rng.pick(tuple(ATTRIBUTES))
    search_field = Field("q", rng.pick(SEARCH_LABELS), "search", value=target_name,
                         what="the item's name")
    search_button = rng.pick(SEARCH_BUTTONS)
    enter = rng.chance(0.4)
    add_text = rng.pick(ADD)
    unique_add = rng.chance(0.3)  # some stores label each button "Add <item> to cart"
    detail_style = rng.pick(("table", "lines", "list"))
    featured = [i for i in range(len(names)) if i != target][:3]

    def search_form(d: Doc, query: str) -> None:
        with kit.form(d, "search", "", cls="search", method="get",
                      action_url="results.html") as fid:
            f = Field("q", search_field.label, "search", default=query)
            kit.field(d, f, look.mech)
            kit.submit(d, search_button, "search", "button", fid)

    def index(q: Query) -> Doc:
        with chrome.page(look, "Shop", f"Welcome to {look.brand}", first=True) as d:
            search_form(d, "")
            d.el("h2", "Featured")
            for i in featured:
                kit.link(d, names[i], f"item.html?id={i}")
                d.el("span", money(prices[i]))
        return d

    def results(q: Query) -> Doc:
        query = q.get("q", "")
        with chrome.page(look, "Results", f"Results for “{query}”") as d:
            search_form(d, query)
            found = matches(names, query)
            if not found:
                d.el("p", "No products match your search.", role="status")
            d.open("ul", cls="results")
            for i in found:
                d.open("li")
                kit.link(d, names[i], f"item.html?id={i}", key=f"result:{i}")
                d.el("span", money(prices[i]))
                label = f"{add_text} – {names[i]}" if unique_add else None
                kit.action(d, add_text, f"add:{i}", f"log:add:{i};go:cart.html?added={i}",
                           aria_label=label)
                d.close("li")
            d.close("ul")
        return d

    def item(q: Query) -> Doc:
        i = numbered(q, len(names))
        with chrome.page(look, names[i], names[i]) as d:
            d.el("p", money(prices[i]), cls="price")
            details(d, attrs[i], detail_style)
            kit.action(d, add_text, "add", f"log:add:{i};go:cart.html?added={i}", cls="btn primary")
            kit.action(d, "Add to wishlist", None, f"log:wish:{i}")
            kit.link(d, "Back to results", f"results.html?q={names[i].split()[0]}")
        return d

    def cart(q: Query) -> Doc:
        i = int(q.get("added", "-1")) if q.get("added", "").isdigit() else -1
        with chrome.page(look, "Cart", "Your cart") as d:
            if 0 <= i < len(names):
                d.el("p", f"{names[i]} was added to your cart.", role="status")
            kit.link(d, "Continue shopping", "index.html")
        return d

    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    box, button = d.targets["q"], d.targets["search"]
    plan.add("index.html", "type", box, f"Search for '{target_name}' in {box.describe()}"
             + (" and press Enter." if enter else "."), text=target_name,
             effect="navigate" if enter else "value", enter=enter)
    if not enter:
        plan.click("index.html", button, f"Run the search: click {button.describe()}.")
    r = results({"q": target_name})
    if mode == "add-results":
        add = r.targets[f"add:{target}"]
        plan.click("results.html", add, f"Add {target_name} to the cart: click "
                   f"{add.describe()} in its row.")
    else:
        link = r.targets[f"result:{target}"]
        plan.click("results.html", link, f"Open the result {link.describe()}.")
        page = f"item.html?id={target}"
        if mode == "detail":
            value = attrs[target][attribute]
            plan.stop(page, value, f"The page of {target_name} gives the "
                      f"{attribute.lower()}: {value}.")
        else:
            add = item({"id": str(target)}).targets["add"]
            plan.click(page, add, f"Put it in the cart: click {add.describe()}.")
    checks: list[Check]
    if mode == "detail":
        checks = [AnswerCheck(attrs[target][attribute]), LogCheck(())]
        intent = rng.pick(("What is the {a} of the {n}?", "Find the {n} and tell me its {a}.",
                           "Search the shop for {n}: what {a} does it list?")).format(
            a=attribute.lower(), n=target_name)
    else:
        plan.stop("cart.html", "", f"{target_name} is in the cart.")
        checks = [LogCheck((f"add:{target}",)), UrlCheck("cart.html")]
        intent = rng.pick(("Add the {n} to my cart.", "Find {n} and put it in the basket.",
                           "I want to buy the {n}: add it to the cart.",
                           "Search for {n} and add one to the cart.")).format(n=target_name)
    variant = {"mode": mode, "enter": str(enter), "details": detail_style,
               "unique_add": str(unique_add)}
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {}, variant),
                {"index.html": index, "results.html": results, "item.html": item,
                 "cart.html": cart}, look)

