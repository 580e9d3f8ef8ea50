"""Reference solvers for the MiniWoB++ development tasks (resources/benchmarks/miniwob-dev.txt).

Each solver reads only the step context, as a cloud model would: the intent (its parameters
are parsed from the instruction), the observation's elements and its own previous actions. It
never reads the page. Multi-step tasks work out where they are from what the observation
shows. Held-out tasks deliberately have no solver.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from core.actions import Type
from core.browser.views import Element
from core.policies.base import StepContext
from trainer.teacher import SolverRegistry

Moves = list[tuple[str, str]]
SOLVERS = SolverRegistry()
solver = SOLVERS.register
ORDINALS = {"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8,
            "9th": 9, "10th": 10, "11th": 11, "12th": 12}
PAGER = {"<", ">", "«", "»", "‹", "›", "Prev", "Next"}


# --- reading the context -------------------------------------------------------------------

def _quoted(intent: str) -> list[str]:
    return re.findall(r'"([^"]*)"', intent)


def _elements(ctx: StepContext, *roles: str) -> list[Element]:
    return [e for e in ctx.observation.elements if not roles or e.role in roles]


def _find(ctx: StepContext, name: str, *roles: str, exact: bool = True) -> Element | None:
    """The first element with this name (exact, then case-insensitive, unless `exact`=False:
    then containing it)."""
    candidates = _elements(ctx, *roles)
    for e in candidates:
        if e.name == name:
            return e
    for e in candidates:
        if e.name.lower() == name.lower() or (not exact and name.lower() in e.name.lower()):
            return e
    return None


def _after(ctx: StepContext, anchor: Element, pred: Callable[[Element], bool],
           stop: Callable[[Element], bool] | None = None) -> Element | None:
    """The first element after `anchor` (in page order) matching `pred`, before `stop`."""
    elements = ctx.observation.elements
    start = elements.index(anchor) + 1
    for e in elements[start:]:
        if stop is not None and stop(e):
            return None
        if pred(e):
            return e
    return None


def _typed(ctx: StepContext, element: Element, text: str) -> bool:
    """This element already received this text (password fields never show their value)."""
    return any(isinstance(h.action, Type) and h.action.id == element.id
               and h.action.text == text and not h.error
               for h in ctx.history)


def _value(element: Element) -> str:
    return element.props.get("value", "")


def _shown(text: str) -> str:
    """Text as the observation shows it (whitespace collapsed and trimmed)."""
    return " ".join(text.split())


def _checked(element: Element) -> bool:
    return element.props.get("checked") == "true"


def _submit(ctx: StepContext, *names: str) -> Moves:
    for name in names or ("Submit",):
        button = _find(ctx, name, "button")
        if button is not None:
            return [(f"click [{button.id}]", f"Everything is set; press {button.name}.")]
    return []


def _fill(ctx: StepContext, field: Element, text: str, what: str) -> Moves | None:
    """Type `text` into `field` unless it already holds it; None when nothing is left to do."""
    if field.props.get("type") == "password":
        done = _typed(ctx, field, text)
    else:
        done = _value(field) == _shown(text)
    if done:
        return None
    return [(f"type [{field.id}] [{text}] [0]", f"Enter {what} in the field.")]


def _click(element: Element, why: str) -> Moves:
    return [(f"click [{element.id}]", why)]


# --- single clicks -------------------------------------------------------------------------

@solver("miniwob/click-button")
def click_button(ctx: StepContext) -> Moves:
    label = _quoted(ctx.intent)[0]
    button = _find(ctx, label, "button")
    return _click(button, f'This is the "{label}" button.') if button else []


@solver("miniwob/click-link")
def click_link(ctx: StepContext) -> Moves:
    label = _quoted(ctx.intent)[0]
    link = _find(ctx, label, "link", "clickable", "StaticText")
    return _click(link, f'This is the link "{label}".') if link else []


@solver("miniwob/click-dialog")
def click_dialog(ctx: StepContext) -> Moves:
    close = _find(ctx, "Close", "button") or _find(ctx, "x", "button")
    return _click(close, "The dialog's x button closes it.") if close else []


@solver("miniwob/click-test")
def click_test(ctx: StepContext) -> Moves:
    buttons = _elements(ctx, "button")
    return _click(buttons[0], "There is one button; click it.") if buttons else []


@solver("miniwob/focus-text")
def focus_text(ctx: StepContext) -> Moves:
    boxes = _elements(ctx, "textbox")
    return _click(boxes[0], "Clicking the text box focuses it.") if boxes else []


@solver("miniwob/click-tab")
def click_tab(ctx: StepContext) -> Moves:
    label = re.search(r"Click on (.+?)\.?$", ctx.intent)
    tab = _find(ctx, label.group(1), "tab") if label else None
    return _click(tab, f"This is {tab.name}.") if tab else []


# --- forms ---------------------------------------------------------------------------------

@solver("miniwob/click-option")
def click_option(ctx: StepContext) -> Moves:
    label = re.search(r"Select (.+?) and click Submit", ctx.intent)
    radio = _find(ctx, label.group(1), "radio") if label else None
    if radio is not None and not _checked(radio):
        return _click(radio, f"Choose the option {radio.name}.")
    return _submit(ctx)


@solver("miniwob/click-checkboxes")
def click_checkboxes(ctx: StepContext) -> Moves:
    match = re.search(r"Select (.*?) and click Submit", ctx.intent)
    wanted = set() if not match or match.group(1) == "nothing" else {
        w.strip() for w in re.split(r",|\band\b", match.group(1)) if w.strip()}
    for box in _elements(ctx, "checkbox"):
        if (box.name in wanted) != _checked(box):
            verb = "Tick" if box.name in wanted else "Untick"
            return _click(box, f"{verb} {box.name}.")
    return _submit(ctx)


@solver("miniwob/enter-text")
def enter_text(ctx: StepContext) -> Moves:
    text = _quoted(ctx.intent)[0]
    boxes = _elements(ctx, "textbox")
    return (boxes and _fill(ctx, boxes[0], text, f'"{text}"')) or _submit(ctx)


@solver("miniwob/enter-password")
def enter_password(ctx: StepContext) -> Moves:
    password = _quoted(ctx.intent)[0]
    for box in _elements(ctx, "textbox"):
        move = _fill(ctx, box, password, "the password")
        if move:
            return move
    return _submit(ctx)


@solver("miniwob/enter-date")
def enter_date(ctx: StepContext) -> Moves:
    match = re.search(r"(\d{2})/(\d{2})/(\d{4})", ctx.intent)
    boxes = _elements(ctx, "textbox")
    if match and boxes:
        month, day, year = match.groups()
        if _value(boxes[0]) != f"{year}-{month}-{day}":
            return [(f"type [{boxes[0].id}] [{match.group(0)}] [0]", "Enter the date.")]
    return _submit(ctx)


@solver("miniwob/login-user")
def login_user(ctx: StepContext) -> Moves:
    user, password = _quoted(ctx.intent)[:2]
    boxes = _elements(ctx, "textbox")
    plain = [b for b in boxes if b.props.get("type") != "password"]
    secret = [b for b in boxes if b.props.get("type") == "password"]
    for box, text, what in ((plain, user, "the username"), (secret, password, "the password")):
        move = box and _fill(ctx, box[0], text, what)
        if move:
            return move
    return _submit(ctx, "Login", "Log in", "Submit")


@solver("miniwob/choose-list")
def choose_list(ctx: StepContext) -> Moves:
    match = re.search(r"Select (.+?) from the list", ctx.intent)
    lists = _elements(ctx, "combobox")
    if match and lists and _value(lists[0]) != match.group(1):
        return [(f"select [{lists[0].id}] [{match.group(1)}]", f"Choose {match.group(1)}.")]
    return _submit(ctx)


@solver("miniwob/read-table")
def read_table(ctx: StepContext) -> Moves:
    match = re.search(r"value of (.+?) into the text field", ctx.intent)
    key = _find(ctx, match.group(1), "cell", "columnheader", "StaticText") if match else None
    cell = key and _after(ctx, key, lambda e: e.role in ("cell", "StaticText"))
    boxes = _elements(ctx, "textbox")
    if cell and boxes:
        move = _fill(ctx, boxes[0], cell.name, f"{key.name} from the table ({cell.name})")
        if move:
            return move
    return _submit(ctx)


@solver("miniwob/form-sequence")
def form_sequence(ctx: StepContext) -> Moves:
    match = re.search(r"Select (-?\d+) with the slider, click the (\w+) checkbox", ctx.intent)
    if not match:
        return []
    target, nth = match.group(1), ORDINALS.get(match.group(2), 1)
    sliders = _elements(ctx, "slider")
    if sliders and _value(sliders[0]) != target:
        return [(f"type [{sliders[0].id}] [{target}] [0]", f"Move the slider to {target}.")]
    for index, box in enumerate(_elements(ctx, "checkbox"), start=1):
        if (index == nth) != _checked(box):
            return _click(box, f"Only the {match.group(2)} checkbox should be ticked.")
    return _submit(ctx)


@solver("miniwob/use-autocomplete")
def use_autocomplete(ctx: StepContext) -> Moves:
    start = re.search(r'starts with "([^"]*)"', ctx.intent)
    end = re.search(r'ends with "([^"]*)"', ctx.intent)
    prefix, suffix = (start.group(1) if start else ""), (end.group(1) if end else "")
    boxes = _elements(ctx, "textbox")
    if not boxes:
        return []
    value = _value(boxes[0])

    def fits(text: str) -> bool:
        return text.startswith(prefix) and text.endswith(suffix)

    if value != _shown(prefix) and fits(value):
        return _submit(ctx)
    suggestion = _after(ctx, boxes[0], lambda e: e.role != "button" and e.name != value
                        and fits(e.name))
    if value == _shown(prefix) and suggestion is not None:
        return _click(suggestion, f"{suggestion.name} starts with {prefix!r} and ends with "
                                  f"{suffix!r}.")
    return [(f"type [{boxes[0].id}] [{prefix}] [0]", "Type the start to get suggestions.")]


@solver("miniwob/sign-agreement")
def sign_agreement(ctx: StepContext) -> Moves:
    quoted = _quoted(ctx.intent)
    if not quoted:
        cancel = _find(ctx, "Cancel", "button")
        return _click(cancel, "The task is to press Cancel.") if cancel else []
    name, button = quoted[0], quoted[-1]
    field = _find(ctx, "Name", "textbox")
    if field is not None and field.props.get("disabled") == "true":
        return [("scroll [down]", "The form unlocks once the agreement is scrolled to the end.")]
    move = field and _fill(ctx, field, name, "the name")
    return move or _submit(ctx, button)


# --- navigation ----------------------------------------------------------------------------

@solver("miniwob/click-collapsible")
def click_collapsible(ctx: StepContext) -> Moves:
    for section in _elements(ctx, "tab", "button"):
        if section.name.startswith("Section") and section.props.get("expanded") == "false":
            return _click(section, f"Expand {section.name}.")
    return _submit(ctx)


@solver("miniwob/navigate-tree")
def navigate_tree(ctx: StepContext) -> Moves:
    name = _quoted(ctx.intent)[0]
    target = _find(ctx, name, "clickable", "StaticText", "link", "treeitem")
    if target is not None:
        return _click(target, f"{name} is in view; click it.")
    for icon in _elements(ctx, "img"):
        if "expandable" in icon.name.split():
            return _click(icon, f"{name} is not in view; open the next closed folder.")
    return []


@solver("miniwob/search-engine")
def search_engine(ctx: StepContext) -> Moves:
    query = _quoted(ctx.intent)[0]
    rank = re.search(r"click the (\w+) search result", ctx.intent)
    nth = ORDINALS.get(rank.group(1), 1) if rank else 1
    box = (_elements(ctx, "textbox", "searchbox") or [None])[0]
    links = _elements(ctx, "link")
    pages = [e for e in links if e.name.isdigit()]
    results = [e for e in links if not e.name.isdigit() and e.name not in PAGER]
    if box is not None and _value(box) != query:
        return [(f"type [{box.id}] [{query}] [0]", f'Enter "{query}" in the search box.')]
    if not results:
        search = _find(ctx, "Search", "button")
        return _click(search, "Press Search.") if search else []
    per_page = 3 if pages else len(results)
    want_page = (nth - 1) // max(per_page, 1) + 1
    current = next((int(p.name) for p in pages if p.props.get("selected") == "true"), 1)
    if current == want_page:
        hit = results[(nth - 1) % max(per_page, 1)]
        return _click(hit, f"This is search result {nth} ({hit.name}).")
    page = _find(ctx, str(want_page), "link") or _find(ctx, ">", "link")
    return _click(page, f"Result {nth} is on page {want_page}.") if page else []


@solver("miniwob/phone-book")
def phone_book(ctx: StepContext) -> Moves:
    match = re.search(r"Find (.+?) in the contact book and click on their (\w+)", ctx.intent)
    if not match:
        return []
    person, field = match.group(1), match.group(2).lower()
    label = {"phone": "Phone", "email": "Email", "address": "Address"}.get(field, field.title())
    heading = _find(ctx, person, "heading")
    if heading is not None:
        key = _after(ctx, heading, lambda e: e.name.startswith(label))
        value = key and _after(ctx, key, lambda e: e.role in ("clickable", "link", "StaticText"))
        if value:
            return _click(value, f"This is {person}'s {field}.")
    more = _find(ctx, ">", "link")
    return _click(more, f"{person} is not on this page; go to the next one.") if more else []


# --- email and social media ------------------------------------------------------------

_NAME = r"([A-Z][a-zA-Z'-]+)"
_SENDER_PATTERNS = (rf"\b(?:from|by) {_NAME}", rf"{_NAME} sent\b", rf"{_NAME} wants his or her")
_DEST_PATTERNS = (rf"\bto {_NAME}", rf"^(?:Please )?(?:Send|Give|Forward)(?: to)? {_NAME}",
                  rf"^{_NAME} (?:wants|is waiting)")


def _first_match(patterns: Iterable[str], text: str, exclude: str = "") -> str:
    for pattern in patterns:
        for match in re.finditer(pattern, text):
            if match.group(1) != exclude and match.group(1) not in ("You", "Send", "Forward"):
                return match.group(1)
    return ""


def _open_thread(ctx: StepContext, sender: str) -> Moves:
    entry = _find(ctx, sender, "StaticText", "clickable")
    return _click(entry, f"Open the email from {sender}.") if entry else []


@solver("miniwob/email-inbox-forward-nl")
def email_forward(ctx: StepContext) -> Moves:
    sender = _first_match(_SENDER_PATTERNS, ctx.intent)
    dest = _first_match(_DEST_PATTERNS, ctx.intent, exclude=sender)
    send = _find(ctx, "send forward", "img")
    if send is not None:
        to_label = _find(ctx, "to:", "StaticText")
        to_box = to_label and _after(ctx, to_label, lambda e: e.role == "textbox")
        move = to_box and _fill(ctx, to_box, dest, f"{dest} as the recipient")
        return move or _click(send, "Send the forwarded email.")
    forward = _find(ctx, "Forward", "StaticText", "clickable", "button")
    if forward is not None:
        to_me = _find(ctx, "to me", "StaticText")
        elements = ctx.observation.elements
        shown = elements[elements.index(to_me) - 1].name if to_me else sender
        if shown == sender:
            return _click(forward, f"This is {sender}'s email; forward it.")
        back = _find(ctx, "close email", "img")
        return _click(back, "Wrong email; back to the inbox.") if back else []
    return _open_thread(ctx, sender)


@solver("miniwob/email-inbox-delete")
def email_delete(ctx: StepContext) -> Moves:
    match = re.search(r"email by (.+?) and click", ctx.intent)
    sender = _find(ctx, match.group(1), "StaticText") if match else None
    trash = sender and _after(ctx, sender, lambda e: e.role == "img" and "trash" in e.name)
    return _click(trash, f"The trash icon of {sender.name}'s email.") if trash and sender else []


_ICON_ACTIONS = {"Reply": "reply", "Retweet": "retweet", "Like": "like"}


@solver("miniwob/social-media")
def social_media(ctx: StepContext) -> Moves:
    match = re.search(r'user (@\S+?), click on the "(.+?)" button', ctx.intent)
    if not match:
        return []
    user, wanted = match.groups()
    handle = _find(ctx, user, "StaticText")
    if handle is None:
        return []

    def next_post(e: Element) -> bool:
        return e.role == "StaticText" and e.name.startswith("@")

    icon = _ICON_ACTIONS.get(wanted)
    if icon is not None:
        target = _after(ctx, handle, lambda e: e.role == "img" and e.name == icon, next_post)
        return _click(target, f"The {wanted} icon of {user}'s post.") if target else []
    item = _after(ctx, handle, lambda e: e.role != "img" and e.name.startswith(wanted), next_post)
    if item is not None:
        return _click(item, f'Click "{item.name}" in the menu of {user}\'s post.')
    more = _after(ctx, handle, lambda e: e.role == "img" and e.name == "more", next_post)
    return _click(more, f"Open the 'more' menu of {user}'s post.") if more else []
