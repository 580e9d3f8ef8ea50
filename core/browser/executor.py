"""Runs one parsed action on a page. Failures become an error message, never an exception:
the message is shown to the policy in the next observation and the episode goes on."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core.actions import Action, Click, ElementAction, GoBack, Goto, Scroll, Select, Type
from core.errors import SecretMissing
from core.privacy.secrets import NO_SECRETS, Secrets

log = logging.getLogger(__name__)

# Inputs whose keyboard entry is segmented by Chromium: set their value directly.
_FILL_TYPES = {"date", "time", "datetime-local", "month", "week", "color", "range"}


_US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def _input_value(input_type: str, text: str) -> str:
    """A date as people write it (MM/DD/YYYY) becomes the ISO value a date input takes."""
    match = _US_DATE.match(text)
    if input_type == "date" and match:
        month, day, year = (int(g) for g in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    return text


def _locate(page: Page, element_id: str) -> Locator:
    return page.locator(f'[data-sid="{element_id}"]')


# Resolves once the DOM has been quiet for `quiet` ms (or after `limit` ms): pages react to a
# click or a keystroke asynchronously (autocomplete menus wait ~300 ms, widgets animate), and
# the next observation should show that reaction.
_DOM_QUIET_JS = """([quiet, limit]) => new Promise((resolve) => {
  let timer = setTimeout(done, quiet);
  const observer = new MutationObserver(() => {
    clearTimeout(timer);
    timer = setTimeout(done, quiet);
  });
  const cap = setTimeout(done, limit);
  function done() {
    observer.disconnect(); clearTimeout(timer); clearTimeout(cap); resolve(true);
  }
  observer.observe(document, {subtree: true, childList: true, attributes: true,
                              characterData: true});
})"""
DOM_QUIET_MS = 350
DOM_QUIET_LIMIT_MS = 2000


def _settle(page: Page) -> None:
    try:
        page.wait_for_load_state("domcontentloaded", timeout=3000)
        page.evaluate(_DOM_QUIET_JS, [DOM_QUIET_MS, DOM_QUIET_LIMIT_MS])
    except PlaywrightError:
        pass  # a navigation replaced the document: the next observation waits for it


def execute_action(page: Page, action: Action, *, secrets: Secrets = NO_SECRETS,
                   timeout_ms: int = 3000) -> str:
    handler = _HANDLERS.get(type(action))
    if handler is None:
        return ""  # note and stop change nothing on the page; the loop records them
    try:
        handler(page, action, secrets, timeout_ms)
    except SecretMissing as exc:
        return f"{action.NAME} failed: {exc}"
    except PlaywrightTimeout:
        if not isinstance(action, ElementAction):
            return f"{action.NAME} timed out: the page did not load"
        cover = _covered_by(page, action.id)
        what = (f"the element is covered by [{cover['sid']}] ({secrets.mask(cover['role'])})"
                if cover else "the element is not visible or not enabled")
        return f"{action.NAME} [{action.id}] timed out: {what}"
    except PlaywrightError as exc:
        first = exc.message.splitlines()[0] if exc.message else type(exc).__name__
        return f"{action.NAME} failed: {secrets.mask(first)}"
    _settle(page)
    return ""


def _click(page: Page, action: Click, secrets: Secrets, timeout_ms: int) -> None:
    loc = _require(page, action.id)
    tag = loc.evaluate("el => el.tagName")
    if tag == "OPTION":
        # Options live inside a native drop-down: choosing one is what a click means.
        value = loc.evaluate("el => el.value")
        select = loc.locator("xpath=ancestor::select[1]")
        select.select_option(value=value, timeout=timeout_ms)
        return
    # Hover first and let the element settle: pages that swap an icon's image on hover leave
    # it without a size until the new image loads, and a press in that moment lands on
    # whatever lies beneath.
    loc.hover(timeout=timeout_ms)
    loc.wait_for(state="visible", timeout=timeout_ms)
    loc.click(timeout=timeout_ms)


def _type(page: Page, action: Type, secrets: Secrets, timeout_ms: int) -> None:
    loc = _require(page, action.id)
    text = secrets.substitute(action.text)
    input_type = (loc.get_attribute("type") or "").lower()
    if loc.evaluate(_IS_WIDGET_SLIDER_JS):
        _set_slider(loc, text, timeout_ms)
    elif input_type in _FILL_TYPES:
        loc.fill(_input_value(input_type, text), timeout=timeout_ms)
    else:
        loc.fill("", timeout=timeout_ms)
        # Key by key, so pages that listen to key events (autocomplete) see them.
        loc.press_sequentially(text, timeout=max(timeout_ms, 50 * len(text)))
    if action.press_enter:
        loc.press("Enter", timeout=timeout_ms)


def _select(page: Page, action: Select, secrets: Secrets, timeout_ms: int) -> None:
    loc = _require(page, action.id)
    try:
        loc.select_option(label=action.option, timeout=timeout_ms)
    except PlaywrightError:
        loc.select_option(value=action.option, timeout=timeout_ms)


def _scroll(page: Page, action: Scroll, secrets: Secrets, timeout_ms: int) -> None:
    # scrollBy is synchronous; a synthetic wheel event lands after an unknown delay.
    page.evaluate(_SCROLL_JS, 1 if action.direction == "down" else -1)


def _go_back(page: Page, action: GoBack, secrets: Secrets, timeout_ms: int) -> None:
    if page.go_back(wait_until="domcontentloaded") is None:
        raise PlaywrightError("there is no previous page")


def _goto(page: Page, action: Goto, secrets: Secrets, timeout_ms: int) -> None:
    page.goto(action.url, wait_until="domcontentloaded")


Handler = Callable[[Page, Any, Secrets, int], None]
# The registered actions (browser-use's registry): one handler per action kind.
_HANDLERS: dict[type, Handler] = {Click: _click, Type: _type, Select: _select, Scroll: _scroll,
                                  GoBack: _go_back, Goto: _goto}


# Scroll the window; when it cannot move that way, scroll the largest visible area that can (a
# scrollable panel, a long text box): `scroll` names no target, and that is the one a user means.
_SCROLL_JS = """s => {
  const dy = s * window.innerHeight * 0.8;
  const se = document.scrollingElement || document.documentElement;
  const can = (el, h) => dy > 0 ? el.scrollTop + h < el.scrollHeight - 1 : el.scrollTop > 0;
  if (can(se, window.innerHeight)) { window.scrollBy(0, dy); return; }
  let best = null, bestArea = 0;
  for (const el of document.body.querySelectorAll('*')) {
    if (el.scrollHeight <= el.clientHeight + 1 || !can(el, el.clientHeight)) continue;
    const overflow = getComputedStyle(el).overflowY;
    if (!/(auto|scroll)/.test(overflow) && el.tagName !== 'TEXTAREA') continue;
    const r = el.getBoundingClientRect();
    const area = Math.max(0, Math.min(r.right, innerWidth) - Math.max(r.left, 0)) *
                 Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0));
    if (area > bestArea) { best = el; bestArea = area; }
  }
  (best || window).scrollBy(0, dy);
}"""

# A slider that is not an <input type=range> (ARIA role=slider, jQuery UI's .ui-slider): typing
# a number into it moves it with the arrow keys, as a keyboard user would, until it shows it.
_IS_WIDGET_SLIDER_JS = """el => el.tagName !== 'INPUT' && (el.getAttribute('role') === 'slider' ||
  el.classList.contains('ui-slider'))"""
_SLIDER_VALUE_JS = """el => {
  const h = el.hasAttribute('aria-valuenow') ? el : el.querySelector('[aria-valuenow]');
  if (h) return parseFloat(h.getAttribute('aria-valuenow'));
  if (window.jQuery && el.classList.contains('ui-slider')) {
    return Number(window.jQuery(el).slider('value'));
  }
  return null;
}"""
_SLIDER_MAX_PRESSES = 200


def _set_slider(loc: Locator, text: str, timeout_ms: int) -> None:
    try:
        target = float(text.strip())
    except ValueError:
        raise PlaywrightError(f"a slider takes a number, got {text!r}") from None
    handle = loc if loc.get_attribute("tabindex") is not None else loc.locator("[tabindex]").first
    handle.focus(timeout=timeout_ms)
    first_key = ""
    for _ in range(_SLIDER_MAX_PRESSES):
        value = loc.evaluate(_SLIDER_VALUE_JS)
        if value is None:
            raise PlaywrightError("the slider does not expose its value")
        if abs(value - target) < 1e-9:
            return
        key = "ArrowRight" if value < target else "ArrowLeft"
        if first_key and key != first_key:
            raise PlaywrightError(f"the slider steps over {target:g}; it now shows {value:g}")
        first_key = key
        handle.press(key, timeout=timeout_ms)
        if loc.evaluate(_SLIDER_VALUE_JS) == value:
            raise PlaywrightError(f"the slider stops at {value:g}; {target:g} is out of its range")
    raise PlaywrightError(f"the slider did not reach {target:g}")


# What lies over the element's centre when that is not the element: the dialog (a cookie
# banner, a modal) around it or inside the backdrop that was hit, else the nearest element the
# observation names. Only its id and role are reported, never its text: the message goes back
# into the prompt, and the page's text reaches a prompt through the observation alone.
_COVERED_JS = """el => {
  const centre = () => {
    const r = el.getBoundingClientRect();
    return [r.width && r.height, r.left + r.width / 2, r.top + r.height / 2];
  };
  let [size, x, y] = centre();
  if (!size) return null;
  if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) {
    el.scrollIntoView({block: 'center', inline: 'center'});  // as a click would have
    [size, x, y] = centre();
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return null;
  }
  const top = document.elementFromPoint(x, y);
  if (!top || el.contains(top) || top.contains(el)) return null;
  const isDialog = (n) => n.tagName === 'DIALOG' || n.getAttribute('aria-modal') === 'true' ||
    ['dialog', 'alertdialog'].includes(n.getAttribute('role'));
  let named = null, layer = top;  // layer: the largest part of the page over el, not around it
  for (let n = top; n && n !== document.body && !n.contains(el); n = n.parentElement) {
    layer = n;
    if (!n.hasAttribute('data-sid')) continue;
    if (isDialog(n)) { named = n; break; }
    if (!named) named = n;
  }
  // A backdrop over the whole page with the dialog inside it: the backdrop is what was hit.
  if (!named || !isDialog(named)) {
    const inner = Array.from(layer.querySelectorAll('[data-sid]')).find(isDialog);
    if (inner) named = inner;
  }
  if (!named) return null;
  const word = (w) => /^[a-z]{1,20}$/.test(w || '') ? w : '';
  const role = isDialog(named) ? 'a dialog'
    : (word(named.getAttribute('role')) || word(named.tagName.toLowerCase()) || 'an element');
  return {sid: named.getAttribute('data-sid'), role};
}"""


def _covered_by(page: Page, element_id: str) -> dict[str, str] | None:
    """{sid, role} of what covers the element, when something the observation names does."""
    try:
        return _require(page, element_id).evaluate(_COVERED_JS, timeout=1000)
    except PlaywrightError:  # gone from the page, or the page went away
        return None


def _require(page: Page, element_id: str) -> Locator:
    loc = _locate(page, element_id)
    if loc.count() == 0:
        raise PlaywrightError(f"element [{element_id}] is no longer on the page")
    return loc.first
