"""The generic reference solver (the teacher) of every synthetic family.

It regenerates the task's spec from the task id and re-plans at every step from what the
observation shows, so it recovers when the page is not where the plan expected it:
  - the page is found among the plan's pages by the observation's URL (an unknown page:
    go back, then return to the start page);
  - on that page, each planned step is done, not done, or cannot be told (its target is
    hidden, in a closed tab or menu): a field holding its text, a drop-down showing its option,
    a checkbox in its wanted state, a menu whose item is visible, a banner that is gone;
  - past a page whose value steps the history never shows done (a slip sent its form too
    early), it goes back to it;
  - a field the task leaves alone that no longer shows what the page first showed (a slip
    ticked or typed there) is put back first (`TaskSpec.guards`: a toggle clicked back, an
    optional text field cleared);
  - the next move is a visible step left undone behind the furthest done step (a field that
    lost its value), else the first step after it that is not done.
Targets are found by (role, accessible name, nth) in the observation, as a model would name
them. Secrets stay `{{secret:NAME}}` placeholders; the executor types the real value.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from core.actions import Select, Type
from core.browser.views import Element, Observation
from core.policies.base import HistoryItem, StepContext
from core.policies.formats import ref_name
from core.privacy.secrets import NO_SECRETS, placeholder
from core.privacy.task_secrets import lift_task_secrets
from trainer.suites.synthetic.site import spec_for
from trainer.suites.synthetic.spec import Step, Target, TaskSpec

Moves = list[tuple[str, str]]


def solve(context: StepContext) -> Moves:
    """The next action(s) in Symbiote's action language with a rationale, best first."""
    spec = spec_for(context.task_id)
    return [] if spec is None else solve_spec(spec, context)


def solve_spec(spec: TaskSpec, context: StepContext) -> Moves:
    """`solve` for a given spec (a test may hand it a deliberately wrong plan)."""
    page = spec.page_of(context.observation.url)
    if page is None:
        return _recover(context, spec)
    lifted = {secret.value: secret.name
              for secret in lift_task_secrets(spec.intent, "", NO_SECRETS)[1].items()}
    skipped = _skipped(spec, page, context, lifted)
    if skipped is not None:
        return [("go_back", f"The form was sent before {_name(skipped.target)} was set: go back "
                 "to it.")]
    repair = _repair(spec, page, context)
    if repair:
        return repair
    step = next_step(tuple(_as_seen(s, lifted) for s in spec.blocks()[page]), context)
    moves = _act(step, context)
    if not moves:
        return _reload(context, f"{_name(step.target)} is not on this page; load it again.")
    if _repeats_failure(context, moves[0][0]):
        return _reload(context, "The same action just failed; load the page again.") + moves
    return moves


def _as_seen(step: Step, lifted: dict[str, str]) -> Step:
    """A value written in the task that the loop lifts into the episode's vault (a one-time
    code; `lifted` maps such values to their names) is typed as its placeholder, the way every
    seat sees the task; typed as the value, the store would keep `<secret>` and a student
    would learn to type that."""
    if step.kind != "type" or step.text not in lifted:
        return step
    return dataclasses.replace(step, text=placeholder(lifted[step.text]))


def next_step(block: tuple[Step, ...], context: StepContext) -> Step:
    statuses = [status(step, context) for step in block]
    furthest = max((i for i, s in enumerate(statuses) if s is True), default=-1)
    for i in range(furthest):
        if block[i].effect == "value" and statuses[i] is False:
            return block[i]
    for i in range(furthest + 1, len(block)):
        if statuses[i] is not True:
            return block[i]
    return block[-1]


def status(step: Step, context: StepContext) -> bool | None:
    """True: done, False: to do, None: cannot be told (the target is hidden)."""
    obs = context.observation
    if step.effect in ("navigate", "stop"):
        return False
    if step.effect == "dismiss":
        return find(obs, step.gone or step.target) is None
    if step.effect == "reveal":
        return find(obs, step.reveals) is not None
    element = find(obs, step.target)
    if element is None:
        return None
    if step.kind == "type":
        return holds(element, step.text, context)
    if step.kind == "select":
        return _norm(element.props.get("value", "")) == _norm(step.text)
    return element.props.get("checked") == ("true" if step.checked else "false")


def _skipped(spec: TaskSpec, page: str, context: StepContext,
             lifted: dict[str, str]) -> Step | None:
    """A value step of an earlier page of the plan that the history never shows done, though
    the episode is past that page: a slip sent its form too early (a 'Next' or 'Sign in'
    before a box was ticked). That page cannot be told from here, only from the history, as
    a student could tell it; the teacher goes back to it and the re-plan there finishes it."""
    blocks = spec.blocks()
    pages = list(blocks)
    if page not in pages:
        return None
    done = [(spec.page_of(item.url), item) for item in context.history if not item.error]
    for earlier in pages[:pages.index(page)]:
        for step in blocks[earlier]:
            if step.effect != "value" or step.target is None:
                continue
            step = _as_seen(step, lifted)
            if not any(where == earlier and _does(item, step) for where, item in done):
                return step
    return None


def _does(item: HistoryItem, step: Step) -> bool:
    """The history item did the step: the text typed, the option chosen, or a click on the
    step's element by name (whether a checkbox ended up ticked its page alone shows)."""
    action = item.action
    if step.kind == "type":
        return isinstance(action, Type) and action.text == step.text
    if step.kind == "select":
        return isinstance(action, Select) and _norm(action.option) == _norm(step.text)
    ref = repr(ref_name(step.target.name)) if step.target else ""
    return item.described.startswith(f"click {ref}") or \
        item.described.startswith(f"click {ref[:-1]} of ")


def _repair(spec: TaskSpec, page: str, context: StepContext) -> Moves:
    """The move that puts back a field of this page that the task leaves alone but that no
    longer shows what the page first showed (a slip typed or ticked there); none when every
    such field is as it was. A repair that was just made and did not take is not made again."""
    obs = context.observation
    last = str(context.history[-1].action) if context.history else ""
    for guard in spec.guards:
        if guard.page != page:
            continue
        element = find(obs, guard.target)
        if element is None or _shows(element, guard):
            continue
        moves = _act(guard, context)
        if moves and moves[0][0] != last:
            return moves
    return []


def _shows(element: Element, guard: Step) -> bool:
    """The element is as the page first showed it (a guard is a toggle's state or an empty
    text field), or cannot tell."""
    if guard.kind == "click":
        return element.props.get("checked", "") in ("", "true" if guard.checked else "false")
    return not element.props.get("value", "").strip()


def holds(element: Element, text: str, context: StepContext) -> bool:
    if "value" not in element.props:
        # A field that never shows its value (or an empty one): trust the history.
        return _typed_before(context, element.id, text)
    value = element.props["value"]
    if "{{secret:" in text:
        return value != ""  # '<hidden>' for a password; the real value never equals the text
    if value.endswith("…"):  # the observation clips long values
        return _norm(text).startswith(_norm(value[:-1]))
    return _norm(value) == _norm(text)


def find(obs: Observation, target: Target | None) -> Element | None:
    if target is None:
        return None
    name = _norm(target.name)
    same = [e for e in obs.elements if e.role == target.role and _norm(e.name) == name]
    return same[target.nth] if target.nth < len(same) else None


def _act(step: Step, context: StepContext) -> Moves:
    if step.kind == "stop":
        return [(f"stop [{step.text}]", step.rationale)]
    element = find(context.observation, step.target)
    if element is None:
        return []
    if step.kind == "type":
        return [(f"type [{element.id}] [{step.text}] [{int(step.enter)}]", step.rationale)]
    if step.kind == "select":
        return [(f"select [{element.id}] [{step.text}]", step.rationale)]
    return [(f"click [{element.id}]", step.rationale)]


def _recover(context: StepContext, spec: TaskSpec) -> Moves:
    last = str(context.history[-1].action) if context.history else ""
    if context.history and last != "go_back":
        return [("go_back", "This page is not part of the task: go back.")]
    parts = urlsplit(context.observation.url)
    start = f"{parts.scheme}://{parts.netloc}{spec.start_path}"
    return [(f"goto [{start}]", "This page is not part of the task: return to the start page.")]


def _reload(context: StepContext, why: str) -> Moves:
    url = context.observation.url
    if context.history and str(context.history[-1].action) == f"goto [{url}]":
        return [("go_back", why)]
    return [(f"goto [{url}]", why)]


def _repeats_failure(context: StepContext, action: str) -> bool:
    if not context.history:
        return False
    last = context.history[-1]
    return bool(last.error) and str(last.action) == action


def _typed_before(context: StepContext, element_id: str, text: str) -> bool:
    return any(isinstance(item.action, Type) and item.action.id == element_id
               and item.action.text == text and not item.error for item in context.history)


def _name(target: Target | None) -> str:
    return f"'{target.name}'" if target else "The element"


def _norm(text: str) -> str:
    return " ".join(text.split())
