"""Words for people: what the window shows instead of the engine's ids, error texts and UTC.

Pure functions (no Qt): task names instead of ids, the executor's and Playwright's messages as
one sentence, the route a step took (and why it fell back), local times, where a key is kept.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from core.actions import ElementAction, parse_action
from core.browser.views import Element, parse_observation_text
from core.errors import ActionParseError
from core.policies.formats import named_text

# --- tasks and modes ------------------------------------------------------------------------

MODE_NAMES = {
    "local": "on this device",
    "hybrid": "hybrid mode",
    "hybrid-redact": "hybrid-redact mode",
    "cloud": "cloud mode",
}
OUTCOME_WORDS = {
    "success": "succeeded", "failure": "failed", "interrupted": "stopped",
    "unknown": "finished", "error": "ended with an error", "running": "running",
}


def shorten(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def task_name(task_id: str, intent: str, limit: int = 70) -> str:
    """What the user calls a task: its instruction, marked when it is a practice one."""
    name = shorten(intent, limit) if intent.strip() else task_id
    return f"Practice: {name}" if task_id.startswith("practice/") else name


def local_time(iso_utc: str, now: datetime | None = None) -> str:
    """A stored UTC timestamp in the user's time zone: `today 14:03`, else the date too."""
    try:
        moment = datetime.fromisoformat(iso_utc)
    except ValueError:
        return iso_utc[:16].replace("T", " ")
    if moment.tzinfo is None:  # stored as UTC always; an old row without an offset is UTC too
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    today = (now or datetime.now().astimezone()).date()
    if local.date() == today:
        return f"today {local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


# --- actions and errors ---------------------------------------------------------------------

_NO_ENTER = re.compile(r"^(type .*) \[0\]$", re.S)


def shown_action(text: str) -> str:
    """The action text for people: `type … [0]` (Enter not pressed) without its default flag."""
    return _NO_ENTER.sub(r"\1", text)


def stored_action_text(action: str, observation: str) -> str:
    """A stored step's action with its element named, from the stored observation:
    `click [12]` → `click 'Sign in' [12]`."""
    try:
        parsed = parse_action(action)
    except (ActionParseError, ValueError):
        return shown_action(action)
    if not isinstance(parsed, ElementAction):
        return shown_action(action)
    element: Element | None = parse_observation_text(observation).element(parsed.id)
    return shown_action(named_text(parsed, element))


_WHERE = r"(?: \[(?P<id>\d+)\])?"
# (pattern, sentence): the first that matches the engine's message wins. `{id}` and the named
# groups are filled in; the raw text stays in the tooltip for whoever needs it.
_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Element is not an <input>, <textarea>"),
     "That element is not a text field, so nothing could be typed into it."),
    (re.compile(r"Element is not a <select> element"),
     "That element is not a drop-down list, so no option could be chosen."),
    (re.compile(r"did not find some options|options? .* not found", re.I),
     "The drop-down list has no such option."),
    (re.compile(r"timed out: the element is covered by \[(?P<cover>\d+)\]"),
     "Something on the page ([{cover}], often a dialog or a cookie banner) was in front of the "
     "element, so it could not be used."),
    (re.compile(r"timed out: the element is not visible or not enabled"),
     "The element was hidden or disabled, so it could not be used."),
    (re.compile(r"not visible|not enabled|is disabled|intercepts pointer events", re.I),
     "The element was hidden, disabled or covered, so it could not be used."),
    (re.compile(r"is no longer on the page|not attached|detached", re.I),
     "The element was no longer on the page (the page had changed)."),
    (re.compile(r"timed out: the page did not load|Timeout \d+ms exceeded|timed out", re.I),
     "The page took too long to respond."),
    (re.compile(r"navigation to (?P<url>\S+) refused"),
     "Blocked: {url} is outside the sites this task may use."),
    (re.compile(r"a request to (?P<origin>\S+) was refused"),
     "Blocked: the page tried to reach {origin}, which is outside the sites this task may "
     "use."),
    (re.compile(r"refused to type secret (?P<name>'[^']*')(?: into \[\d+\])?: (?P<why>.*)"),
     "The secret {name} was not typed here: {why}."),
    (re.compile(r"no secret named (?P<name>'[^']*')"),
     "The vault has no secret named {name}: add it in Settings."),
    (re.compile(r"there is no previous page"), "There is no previous page to go back to."),
    (re.compile(r"a slider takes a number"), "A slider takes a number."),
    (re.compile(r"ERR_NAME_NOT_RESOLVED|ERR_CONNECTION_REFUSED|ERR_INTERNET_DISCONNECTED"),
     "The site could not be reached."),
    (re.compile(r"was repeated (?P<n>\d+) times and changed nothing"),
     "Stopped: the same action was repeated {n} times and changed nothing."),
    (re.compile(r"were taken in turn (?P<n>\d+) times each and changed nothing"),
     "Stopped: the agent went back and forth between two actions {n} times and got "
     "nowhere new."),
]
_PREFIX = re.compile(r"^(?:[a-z_]+(?: \[\d+\])? failed: )?(?:[A-Za-z]+\.[a-z_]+: )?(?:Error: )?")


def human_error(error: str) -> str:
    """One sentence for an action's error, or '' when there was none."""
    error = error.strip()
    if not error:
        return ""
    for pattern, sentence in _ERRORS:
        match = pattern.search(error)
        if match:
            fields = {k: (v or "").rstrip(".") for k, v in match.groupdict().items()}
            return sentence.format(**fields)
    first = _PREFIX.sub("", error.splitlines()[0]).strip()
    first = first[:1].upper() + first[1:] if first else error
    return shorten(first if first.endswith(".") else first + ".", 160)


# --- routes ---------------------------------------------------------------------------------

def route_words(route: str, why: str) -> tuple[str, str]:
    """(the Route cell, its tooltip): where the step was decided and, for a step that should
    have gone to the cloud and did not, why it was decided on this device instead."""
    if route == "cloud":
        return "cloud", why or "Decided by the cloud model."
    if route == "user":
        return "you", why or "Done by you."
    if why.startswith("cloud failed"):
        detail = why.split(":", 1)[1].strip() if ":" in why else ""
        return ("on-device\n(cloud failed)",
                f"cloud failed → decided on this device. {detail}".strip())
    if why.startswith("cloud not configured"):
        detail = why.split(":", 1)[1].strip() if ":" in why else ""
        return ("on-device\n(no cloud key)",
                f"cloud not configured → decided on this device. {detail}".strip())
    if "denied" in why:
        return "on-device\n(denied)", "You denied the cloud request → decided on this device."
    if why.startswith("no one to approve"):
        return "on-device", "Nobody could approve the cloud request → decided on this device."
    if why.startswith("private data"):
        return "on-device\n(private)", f"Kept on this device: {why}."
    return "on-device", why or "Decided on this device."


def fell_back(why: str) -> bool:
    return why.startswith(("cloud failed", "cloud not configured"))


# --- results --------------------------------------------------------------------------------

def checker_words(detail: str) -> str:
    """The practice checker's verdict as a sentence."""
    detail = detail.strip()
    if not detail or detail == "all checks passed":
        return ""
    parts = [p.strip() for p in detail.split(";") if p.strip()]
    return "The checker says: " + "; ".join(parts) + "."


def result_words(outcome: str, answer: str, detail: str, error: str, steps: int,
                 wall_s: float) -> tuple[str, str]:
    """(headline, explanation) for the result card at the end of a run."""
    verdict = {"success": "Succeeded", "failure": "Failed", "interrupted": "Stopped",
               "unknown": "Finished", "error": "Ended with an error"}.get(outcome, outcome)
    headline = f"{verdict} after {steps} step{'s' if steps != 1 else ''} ({wall_s:.0f} s)"
    lines = []
    if answer:
        lines.append(f"Answer: {answer}")
    if outcome == "unknown":
        lines.append("Your own task has no checker: look at the page to see whether it is done.")
    if error:
        lines.append("Why: " + human_error(error))
    elif outcome == "failure":
        why = checker_words(detail)
        lines.append("Why: " + (why or "the task's checks did not pass."))
    elif outcome == "interrupted":
        lines.append("You stopped the run; the steps so far are saved in History.")
    return headline, "\n".join(lines)


# --- where secrets are kept -----------------------------------------------------------------

def keyring_location(backend: object) -> str:
    """Where `keyring.set_password` really puts a value, in words (the chainer writes to its
    first backend that accepts it: the one with the highest priority)."""
    backends = getattr(backend, "backends", None)
    if backends:
        backend = backends[0]
    cls = type(backend)
    module, name = cls.__module__, cls.__name__
    path = getattr(backend, "file_path", None)
    if module.startswith("keyrings.alt"):
        if "Plaintext" in name:
            return (f"an UNENCRYPTED file, {path} (keyrings.alt {name}: base64 only, anyone "
                    "who can read your files can read the key)")
        return f"a file, {path} (keyrings.alt {name})"
    if module.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return ""
    return f"the system keyring ({name})"
