"""Look-ups in lists and tables: "what is the balance / status / due date of X?", answered
with `stop [answer]`. The row may sit in a second tab, or behind its own "Show details"."""

from __future__ import annotations

from collections.abc import Callable

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.families.common import Plan, Query, Site, make_spec
from trainer.suites.synthetic.kit import Doc
from trainer.suites.synthetic.spec import AnswerCheck, LogCheck
from trainer.suites.synthetic.words import Rng, money, some_date

FAMILY, SPLIT = "lookup", "train"
SUMMARY = "read one value of a named row in a table, card list or tabbed list"

Gen = Callable[[Rng], str]


DOMAINS: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, Gen], ...], tuple[str, str]]] = {
    # domain -> (heading, row names, columns (name, generator), (tab 1, tab 2))
    "accounts": ("Your accounts", ("Everyday Checking", "Savings", "Savings Plus", "Holiday Fund",
                                   "Joint Account", "Business Reserve", "Travel Wallet"),
                 (("Number", lambda r: "•••• " + r.digits(4)),
                  ("Balance", lambda r: money(r.cents(10, 9000))),
                  ("Opened", some_date)), ("Active", "Closed")),
    "orders": ("Recent orders", (), (("Placed on", some_date),
                                     ("Status", lambda r: r.pick(("Shipped", "Processing",
                                                                  "Delivered", "On hold"))),
                                     ("Total", lambda r: money(r.cents(8, 400)))),
               ("Open", "Completed")),
    "invoices": ("Invoices", (), (("Client", lambda r: r.brand() + " Ltd"),
                                  ("Due date", some_date),
                                  ("Amount", lambda r: money(r.cents(50, 5000), "€"))),
                 ("Unpaid", "Paid")),
    "subscriptions": ("Subscriptions", ("Cloud Storage", "Music Plus", "News Digest",
                                        "Fitness Club", "Recipe Box", "Language Coach",
                                        "Photo Vault"),
                      (("Plan", lambda r: r.pick(("Basic", "Standard", "Premium"))),
                       ("Renews on", some_date),
                       ("Price", lambda r: money(r.cents(3, 30)) + " / month")),
                      ("Current", "Cancelled")),
    "directory": ("Staff directory", (),
                  (("Department", lambda r: r.pick(("Finance", "Logistics", "Design", "Legal",
                                                    "Support"))),
                   ("Extension", lambda r: "x" + r.digits(4)),
                   ("Office", lambda r: f"Room {r.randint(100, 499)}")),
                  ("Head office", "Branches")),
}


def _rows(rng: Rng, domain: str, names: tuple[str, ...], n: int) -> list[str]:
    if names:
        return rng.some(names, n)
    make = {"orders": lambda: "Order " + rng.code(1, 5),
            "invoices": lambda: "INV-" + rng.digits(4),
            "directory": lambda: " ".join(rng.person())}[domain]
    return rng.unique(make, n)


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    domain = rng.pick(tuple(DOMAINS))
    heading, names, columns, tabs = DOMAINS[domain]
    rows = _rows(rng, domain, names, rng.randint(4, 7))
    values = [[gen(rng) for _, gen in columns] for _ in rows]
    target = rng.randrange(len(rows))
    column = rng.randrange(len(columns))
    col_name = columns[column][0]
    answer = values[target][column]
    style = rng.pick(("table", "table", "cards", "tabs", "expand"))
    split_at = rng.randint(1, len(rows) - 1)  # tabs: rows before it in tab 1, the rest in tab 2

    def index(q: Query) -> Doc:
        with chrome.page(look, heading, heading, first=True) as d:
            if style == "tabs":
                d.open("div", data_tabs=True)
                d.open("div", role="tablist", cls="tabs")
                for t, title in enumerate(tabs):
                    d.el("button", title, type="button", role="tab", data_do=f"tab:tab{t}",
                         aria_selected=str(t == 0).lower(), cls="btn")
                    d.control("tab", title, f"tab:{t}")
                d.close("div")
                for t, chunk in enumerate((range(split_at), range(split_at, len(rows)))):
                    d.open("div", role="tabpanel", id=f"tab{t}", aria_label=tabs[t], hidden=t != 0)
                    with d.layer(f"tab{t}"):
                        _table(d, rows, values, columns, chunk)
                    d.close("div")
                d.close("div")
            elif style == "cards" or style == "expand":
                for i, row in enumerate(rows):
                    d.open("section", cls="promo")
                    d.el("h2", row)
                    if style == "expand":
                        kit.action(d, "Show details", f"expand:{i}", f"open:det{i}",
                                   aria_expanded="false", aria_controls=f"det{i}")
                        d.open("div", id=f"det{i}", hidden=True)
                    with d.layer(f"det{i}"):
                        for (name, _), value in zip(columns, values[i], strict=True):
                            d.el("p", f"{name}: {value}")
                            d.control("StaticText", f"{name}: {value}", f"line:{i}:{name}")
                    if style == "expand":
                        d.close("div")
                    d.close("section")
            else:
                _table(d, rows, values, columns, range(len(rows)))
        return d

    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    if style == "tabs" and target >= split_at:
        tab = d.targets["tab:1"]
        plan.click("index.html", tab, f"{rows[target]} is not in this list: open "
                   f"{tab.describe()}.", effect="reveal", reveals=d.targets[f"row:{target}"])
    elif style == "expand":
        opener = d.targets[f"expand:{target}"]
        plan.click("index.html", opener, f"The details of {rows[target]} are hidden: click "
                   f"{opener.describe()} under '{rows[target]}'.", effect="reveal",
                   reveals=d.targets[f"line:{target}:{col_name}"])
    plan.stop("index.html", answer, f"The {col_name.lower()} of {rows[target]} is {answer}.")
    intent = rng.pick(("What is the {c} of {r}?", "Look up {r}: what {c} does it show?",
                       "Find the {c} for {r}.", "{r} — what's its {c}?",
                       "Tell me the {c} listed for {r}.")).format(c=col_name.lower(),
                                                                  r=rows[target])
    checks = [AnswerCheck(answer), LogCheck(())]
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {},
                          {"domain": domain, "style": style, "column": col_name}),
                {"index.html": index}, look)


def _table(d: Doc, rows: list[str], values: list[list[str]],
           columns: tuple[tuple[str, Gen], ...], chunk: range) -> None:
    d.open("table")
    d.add("<tr><th>Name</th>" + "".join(f"<th>{c}</th>" for c, _ in columns) + "</tr>")
    for i in chunk:
        d.add("<tr>")
        d.el("td", rows[i])
        d.control("cell", rows[i], f"row:{i}")
        for value in values[i]:
            d.el("td", value)
        d.add("</tr>")
    d.close("table")

