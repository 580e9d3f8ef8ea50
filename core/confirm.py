"""Approval of irreversible actions, judged on the device before the executor acts.

Separate from cloud-payload approval (core.routing.privacy): this one asks whether the browser
may *do* something that cannot be taken back — pay, buy, delete, send, transfer, change account
settings. The judgement reads only the element and its form, as the observation gives them
(observe.js adds the form's method, its sensitive fields and whether the control submits it):

- the control's text says it: pay, buy, purchase, place order, delete, send, transfer, confirm,
  submit, unsubscribe, cancel a subscription/order/account;
- it submits a form with payment fields (card number, CVV, expiry): it pays;
- it submits a form with a new password (two password fields, autocomplete=new-password): it
  changes the password;
- it submits a form that saves settings ("Save", "Update", "Apply", "Change …") or posts one
  (method=post).

A sign-in is not held: a form whose only sensitive field is one password is a login, whatever
its button says, unless the text names something irreversible (pay, delete, transfer …).
Signing in shares nothing new with the site and signing out undoes it; holding every login
would teach the user to approve without reading. The same holds for a search (a GET form).

`--confirm always` holds every click, typing with Enter, choice and navigation; `never` holds
nothing (benchmarks and the cycle run with it). A held action the user denies — or does not
answer in time — is not performed, and the next observation says `the user declined …`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from core.actions import Action, Click, ElementAction, Goto, Select, Type
from core.browser.views import Element, Observation
from core.policies.formats import named_text
from core.privacy.dom import field_kinds
from core.privacy.secrets import Secrets

log = logging.getLogger(__name__)

ConfirmMode = Literal["always", "irreversible", "never"]
CONFIRM_MODES: tuple[ConfirmMode, ...] = ("always", "irreversible", "never")
CONFIRM_TIMEOUT_S = 60.0   # unanswered for this long: denied

# (pattern on the control's text, what the action does), first match wins.
IRREVERSIBLE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), what) for pattern, what in (
        (r"\bplace (?:your |my )?order\b|\border now\b|\bbuy\b|\bpurchase\b|\bcheckout and pay\b",
         "it places an order"),
        (r"\bpay(?: now)?\b|\bpayment\b(?= *$)", "it pays"),
        (r"\btransfer\b|\bwire\b", "it transfers money"),
        (r"\bdelete\b|\berase\b|\bremove (?:account|permanently)\b|\bclose (?:my )?account\b",
         "it deletes something"),
        (r"\bsend\b|\breply all\b|\bpublish\b|\bpost (?:it|now)\b", "it sends a message"),
        (r"\bunsubscribe\b|\bcancel (?:my |the )?(?:subscription|order|account|membership)\b",
         "it cancels a subscription or order"),
        (r"\bconfirm\b|\bsubmit\b", "it submits a form"),
    ))
STRONG = ("it places an order", "it pays", "it transfers money", "it deletes something")
SAVES_SETTINGS = re.compile(r"\b(?:save|update|apply|change)\b", re.IGNORECASE)


def _signals(element: Element) -> tuple[bool, set[str], str]:
    props = element.props
    fields = {f for f in props.get("formfields", "").split(",") if f}
    return props.get("submits") == "true", fields, props.get("form", "")


def _sign_in(fields: set[str]) -> bool:
    return fields == {"password"}


def irreversible(action: Action, observation: Observation) -> str:
    """Why `action` cannot be taken back ('' when it can), from its element and form."""
    if not isinstance(action, Click | Type):
        return ""
    element = observation.element(action.id)
    if element is None:
        return ""
    submits, fields, method = _signals(element)
    if isinstance(action, Type):
        if not action.press_enter or not method:
            return ""
        submits = True   # Enter in a field submits its form
        words = ""
    else:
        words = next((what for pattern, what in IRREVERSIBLE_WORDS
                      if pattern.search(element.name)), "")
    if _sign_in(fields) and words not in STRONG:
        return ""
    if words:
        return words
    if submits and "payment" in fields:
        return "it submits a form with payment details"
    if submits and "new-password" in fields:
        return "it changes a password"
    if submits and SAVES_SETTINGS.search(element.name):
        return "it saves changes to your settings"
    if submits and method == "post":
        return "it submits a form (method post)"
    return ""


def needs_confirmation(mode: str, action: Action, observation: Observation) -> str:
    """Why the user must approve `action` under `mode` ('' when not)."""
    if mode == "never":
        return ""
    if mode == "always" and (isinstance(action, Click | Select | Goto)
                             or (isinstance(action, Type) and action.press_enter)):
        return irreversible(action, observation) or "every action is confirmed (--confirm always)"
    return irreversible(action, observation)


@dataclass(frozen=True)
class ConfirmRequest:
    """What the user is asked: the action on its element, why, on which page, and what the
    page's fields hold (sensitive ones hidden, secrets masked)."""

    step: int
    action: Action
    described: str           # click 'Place order' [45]
    reason: str
    url: str
    fields: tuple[tuple[str, str], ...] = ()

    def question(self) -> str:
        return f"{self.described} on {self.url}: {self.reason}. Allow it?"


Confirmer = Callable[[ConfirmRequest], bool]


def confirm_request(step: int, action: Action, reason: str, observation: Observation,
                    secrets: Secrets) -> ConfirmRequest:
    element = (observation.element(action.id) if isinstance(action, ElementAction) else None)
    fields = []
    for e in observation.elements:
        value = e.props.get("value", "")
        if not value or e.options or e.role not in ("textbox", "searchbox", "spinbutton"):
            continue
        hidden = field_kinds(e.role, e.name, e.props) & {"PASSWORD", "CREDIT_CARD", "CARD_CVV",
                                                         "CARD_EXPIRY", "OTP"}
        fields.append((e.name or f"[{e.id}]", "••••" if hidden else secrets.mask(value)))
    return ConfirmRequest(step=step, action=action,
                          described=secrets.mask(named_text(action, element)), reason=reason,
                          url=secrets.mask(observation.url), fields=tuple(fields))


def ask(confirmer: Confirmer | None, request: ConfirmRequest) -> bool:
    """The user's answer; no one to ask, or a failure while asking, is a no."""
    if confirmer is None:
        return False
    try:
        return bool(confirmer(request))
    except Exception:  # noqa: BLE001 — a broken dialog must deny, never perform the action
        log.exception("asking for approval failed: the action is denied")
        return False
