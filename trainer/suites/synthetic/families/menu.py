"""Row menus: every row has a "⋯" / "Actions" button that opens a menu; the task's item is
in one of them. Some items act at once, others open a dialog (a confirmation, a rename)."""

from __future__ import annotations

from trainer.suites.synthetic import chrome, kit
from trainer.suites.synthetic.families.common import Plan, Query, Site, make_spec
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import Check, FieldCheck, LogCheck, UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng

FAMILY, SPLIT = "menu", "train"
SUMMARY = "a row's actions menu, then the item (some open a confirm or rename dialog)"

DOMAINS = {
    "files": ("My files", ("Budget 2026.xlsx", "Trip notes.txt", "Logo draft.png", "Minutes.docx",
                           "Invoice 118.pdf", "Roadmap.pptx", "Recipes.md", "Floor plan.pdf")),
    "projects": ("Projects", ("Harbor Redesign", "Q3 Launch", "Onboarding Guide", "Data Cleanup",
                              "Brand Refresh", "Mobile Beta", "Office Move")),
    "playlists": ("Playlists", ("Morning Run", "Deep Focus", "Road Trip", "Rainy Sunday",
                                "Dinner Party", "Throwbacks", "Study Beats")),
    "notes": ("Notes", ("Shopping list", "Book ideas", "Garden plan", "Gift ideas",
                        "Meeting prep", "Packing list", "Quotes")),
}
ACTIONS = {  # action -> (menu item texts, needs a dialog: "", "confirm" or "rename")
    "archive": (("Archive", "Move to archive"), ""),
    "duplicate": (("Duplicate", "Make a copy"), ""),
    "pin": (("Pin", "Pin to top"), ""),
    "delete": (("Delete", "Move to trash"), "confirm"),
    "rename": (("Rename", "Rename…"), "rename"),
}
OPENERS = ("⋯", "More actions", "Actions", "for")  # "for": aria-label "Actions for <row>"


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    domain = rng.pick(tuple(DOMAINS))
    heading, pool = DOMAINS[domain]
    rows = rng.some(pool, rng.randint(3, 6))
    target = rng.randrange(len(rows))
    shown = rng.some(tuple(ACTIONS), rng.randint(3, 5))
    action = rng.pick(shown)
    texts = {a: rng.pick(ACTIONS[a][0]) for a in shown}
    opener_style = rng.pick(OPENERS)
    new_name = f"{rows[target].rsplit('.', 1)[0]} (final)"
    confirm_text = rng.pick(("Delete", "Yes, delete", "Move to trash", "Confirm"))
    cancel_text = rng.pick(words(SPLIT, "cancel"))
    rename_label = rng.pick(("New name", "Name", "Title"))
    rename_save = rng.pick(("Save", "Rename", "OK"))

    done_text = rng.pick(("Done.", "Your change was saved.", "Updated."))
    def opener(d: Doc, i: int) -> None:
        label = {"⋯": None, "More actions": "More actions", "Actions": None,
                 "for": f"Actions for {rows[i]}"}[opener_style]
        text = "⋯" if opener_style in ("⋯", "More actions", "for") else "Actions"
        kit.action(d, text, f"open:{i}", f"open:menu{i}", aria_label=label,
                   aria_haspopup="menu", aria_expanded="false", aria_controls=f"menu{i}")

    def index(q: Query) -> Doc:
        with chrome.page(look, heading, heading, first=True) as d:
            if q.get("done"):
                d.el("p", done_text, role="status")
            d.open("table")
            d.add("<tr><th>Name</th><th>Updated</th><th></th></tr>")
            for i, row in enumerate(rows):
                d.add("<tr>")
                d.el("td", row)
                d.el("td", f"{i + 2} days ago")
                d.open("td", cls="cell")
                opener(d, i)
                d.open("div", id=f"menu{i}", role="menu", cls="menu", data_menu=True, hidden=True)
                with d.layer(f"menu{i}"):
                    for a in shown:
                        dialog = ACTIONS[a][1]
                        do = (f"show:dlg-{a}-{i}" if dialog
                              else f"log:{a}:{i};go:index.html?done={a}")
                        d.el("button", texts[a], type="button", role="menuitem", data_do=do)
                        d.control("menuitem", texts[a], f"item:{i}:{a}")
                d.close("div")
                d.add("</td></tr>")
            d.close("table")
            for i, row in enumerate(rows):
                for a in shown:
                    if ACTIONS[a][1]:
                        _dialog(d, a, i, row)
        return d

    def _dialog(d: Doc, a: str, i: int, row: str) -> None:
        did = f"dlg-{a}-{i}"
        d.open("div", id=did, cls="overlay", hidden=True)
        d.open("div", cls="dialog", role="dialog", aria_modal="true",
               aria_label=f"{texts[a]} {row}")
        with d.layer(did):
            if ACTIONS[a][1] == "confirm":
                d.el("p", f"Delete “{row}”? This cannot be undone.")
                kit.action(d, confirm_text, f"confirm:{i}",
                           f"log:{a}:{i};go:index.html?done={a}", cls="btn primary")
                kit.action(d, cancel_text, None, f"hide:{did}")
            else:
                with kit.form(d, "rename", "index.html?done=rename") as fid:
                    d.add(f'<input type="hidden" name="item" value="{i}">')
                    kit.field(d, Field("name", rename_label, default=row), "for")
                    d.targets[f"name:{i}"] = d.targets["name"]
                    kit.submit(d, rename_save, f"save:{i}", "button", fid)
                    kit.action(d, cancel_text, None, f"hide:{did}")
        d.close("div")
        d.close("div")

    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    item = d.targets[f"item:{target}:{action}"]
    menu_button = d.targets[f"open:{target}"]
    where = "" if opener_style == "for" else f" in the row of '{rows[target]}'"
    plan.click("index.html", menu_button, f"Open {menu_button.describe()}{where}.",
               effect="reveal", reveals=item)
    dialog = ACTIONS[action][1]
    checks: list[Check] = []
    if not dialog:
        plan.click("index.html", item, f"Choose {item.describe()}.")
        checks.append(LogCheck((f"{action}:{target}",)))
    elif dialog == "confirm":
        confirm = d.targets[f"confirm:{target}"]
        plan.click("index.html", item, f"Choose {item.describe()}.", effect="reveal",
                   reveals=confirm)
        plan.click("index.html", confirm, f"Confirm in the dialog: click {confirm.describe()}.")
        checks.append(LogCheck((f"{action}:{target}",)))
    else:
        box = d.targets[f"name:{target}"]
        plan.click("index.html", item, f"Choose {item.describe()}.", effect="reveal", reveals=box)
        plan.add("index.html", "type", box, f"Type the new name '{new_name}' into "
                 f"{box.describe()}.", text=new_name)
        save = d.targets[f"save:{target}"]
        plan.click("index.html", save, f"Save the new name: click {save.describe()}.")
        checks += [FieldCheck("rename", "item", str(target)),
                   FieldCheck("rename", "name", new_name), LogCheck(())]
    plan.stop(f"index.html?done={action}", "", "The change is done.")
    checks.append(UrlCheck(f"index.html?done={action}"))
    verb = {"archive": "Archive", "duplicate": "Duplicate", "pin": "Pin", "delete": "Delete"}
    if action == "rename":
        intent = rng.pick(("Rename '{r}' to '{n}'.", "Change the name of {r} to {n}.",
                           "Give {r} the new name “{n}”.")).format(r=rows[target], n=new_name)
    else:
        intent = rng.pick(("{v} '{r}'.", "Please {lv} {r} using its menu.",
                           "In {h}, {lv} the item {r}.", "Could you {lv} “{r}”?")).format(
            v=verb[action], lv=verb[action].lower(), r=rows[target], h=heading.lower())
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {},
                          {"domain": domain, "opener": opener_style, "action": action}),
                {"index.html": index}, look)
