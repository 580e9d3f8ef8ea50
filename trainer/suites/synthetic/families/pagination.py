"""Pagination: a long list split into pages; the task's row is on page 2 or 3. The agent
pages forward (Next / a page number), then reads a value or opens the row."""

from __future__ import annotations

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.families.common import Plan, Query, Site, make_spec, numbered
from trainer.suites.synthetic.kit import Doc
from trainer.suites.synthetic.spec import AnswerCheck, Check, LogCheck, UrlCheck
from trainer.suites.synthetic.words import Rng, long_date, money

FAMILY, SPLIT = "pagination", "train"
SUMMARY = "a paged list; the row is on page 2 or 3; read a value or open it"

NEXT = (("Next", None), ("Next page", None), ("›", "Next page"), ("Older", None),
        ("Next →", None))
SUBJECTS = ("Printer offline", "Password reset", "Invoice copy", "Broken zipper", "Late parcel",
            "Wrong size", "App crash", "Refund status", "Address change", "Login loop",
            "Missing item", "Double charge", "Gift card", "Slow site", "Coupon error")


def _rows(rng: Rng, domain: str, n: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Row names (unique) and, for each, (column label, value) of the value asked for."""
    def name() -> str:
        if domain == "transactions":
            return f"{rng.brand()} {rng.pick(('Market', 'Café', 'Books', 'Garage', 'Pharmacy'))}"
        if domain == "tickets":
            return f"#{rng.randint(1000, 9999)} {rng.pick(SUBJECTS)}"
        return " ".join((rng.pick(("Notes on", "A guide to", "Why we love", "The future of")),
                         rng.pick(("tides", "maps", "bread", "trains", "gardens", "kites"))))

    names = rng.unique(name, n)
    values = []
    for _ in names:
        if domain == "transactions":
            values.append(("Amount", money(rng.cents(2, 300))))
        elif domain == "tickets":
            values.append(("Status", rng.pick(("Open", "Waiting", "Solved", "Escalated"))))
        else:
            values.append(("Author", " ".join(rng.person())))
    return names, values


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    domain = rng.pick(("transactions", "tickets", "articles"))
    per_page = rng.randint(4, 7)
    pages = 3
    names, values = _rows(rng, domain, per_page * pages - rng.randint(0, per_page - 1))
    dates = [long_date(rng.date(2025)) for _ in names]
    target = rng.randrange(per_page, len(names))
    target_page = target // per_page + 1
    next_text, next_label = rng.pick(NEXT)
    numbers = rng.chance(0.6)
    jump = numbers and rng.chance(0.5)
    mode = rng.pick(("read", "open"))
    heading = {"transactions": "Transactions", "tickets": "Support tickets",
               "articles": "Articles"}[domain]

    def index(q: Query) -> Doc:
        raw = q.get("page", "1")
        page = min(max(int(raw), 1), pages) if raw.isdigit() else 1
        with chrome.page(look, heading, heading, first=page == 1) as d:
            d.el("p", f"Page {page} of {pages}")
            d.open("table")
            d.add(f"<tr><th>Name</th><th>Date</th><th>{values[0][0]}</th></tr>")
            for i in range((page - 1) * per_page, min(page * per_page, len(names))):
                d.add("<tr><td>")
                kit.link(d, names[i], f"item.html?id={i}", key=f"row:{i}")
                d.add(f"</td><td>{dates[i]}</td><td>{values[i][1]}</td></tr>")
            d.close("table")
            d.open("nav", aria_label="Pagination", cls="tabs")
            if page > 1:
                kit.link(d, "Previous", _href(page - 1))
            if numbers:
                for n in range(1, pages + 1):
                    kit.link(d, str(n), _href(n), key=f"page:{n}",
                             aria_current="page" if n == page else None)
            if page < pages:
                kit.link(d, next_text, _href(page + 1), key="next", aria_label=next_label)
            d.close("nav")
        return d

    def item(q: Query) -> Doc:
        i = numbered(q, len(names))
        with chrome.page(look, names[i], names[i]) as d:
            d.el("p", f"Date: {dates[i]}")
            d.el("p", f"{values[i][0]}: {values[i][1]}")
            kit.link(d, "Back to the list", _href(i // per_page + 1))
        return d

    plan = Plan()
    key = "index.html"
    d = index({})
    plan.cookie(key, d, look)
    if jump:
        link = d.targets[f"page:{target_page}"]
        plan.click(key, link, f"{names[target]} is not on this page: go to page {target_page} "
                   f"with {link.describe()}.")
    else:
        for page in range(1, target_page):
            link = d.targets["next"]
            plan.click(key, link, f"{names[target]} is not on page {page}: click "
                       f"{link.describe()}.")
            key = f"index.html?page={page + 1}"
            d = index({"page": str(page + 1)})
    key = f"index.html?page={target_page}"
    d = index({"page": str(target_page)})
    column, value = values[target]
    checks: list[Check] = [LogCheck(())]
    if mode == "read":
        plan.stop(key, value, f"The row '{names[target]}' shows the {column.lower()} {value}.")
        checks.append(AnswerCheck(value))
        intent = rng.pick(("What is the {c} of “{n}”?", "Find {n} in the list and tell me its "
                           "{c}.", "{n}: what {c} is listed?")).format(c=column.lower(),
                                                                       n=names[target])
    else:
        link = d.targets[f"row:{target}"]
        plan.click(key, link, f"Open {link.describe()}.")
        plan.stop(f"item.html?id={target}", "", f"The page of {names[target]} is open.")
        checks.append(UrlCheck(f"item.html?id={target}"))
        intent = rng.pick(("Open “{n}”.", "Find {n} in the list and open it.",
                           "Show me the page of {n}.")).format(n=names[target])
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {},
                          {"domain": domain, "numbers": str(numbers), "jump": str(jump),
                           "mode": mode, "page": str(target_page)}),
                {"index.html": index, "item.html": item}, look)


def _href(page: int) -> str:
    return "index.html" if page == 1 else f"index.html?page={page}"
