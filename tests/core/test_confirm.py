"""Approval of irreversible actions on real Chromium and the practice sites: "Place order" and
"Send" are held in `irreversible` mode and a denial is the next observation's error; a sign-in
is not held; the judgement itself on observation lines."""

from __future__ import annotations

import pytest

from core.actions import Click, Type
from core.browser.session import BrowserSession
from core.browser.views import Element, Observation
from core.confirm import ConfirmRequest, irreversible, needs_confirmation
from core.loop import EpisodeOptions, run_episode
from core.routing.base import SingleSeatRouter
from trainer.suites.practice.solvers import SOLVERS
from trainer.suites.practice.tasks import PracticeTask, demo_secrets, load_practice_tasks
from trainer.suites.sites import SiteServer
from trainer.teacher import TeacherPolicy

CARD = "4111 1111 1111 1111"


@pytest.fixture(scope="module")
def tasks(server: SiteServer) -> dict[str, PracticeTask]:
    return {t.config.task_id: t for t in load_practice_tasks(server.base_url)}


def _run(task: PracticeTask, session: BrowserSession, answer: bool, mode: str = "irreversible",
         max_steps: int | None = None) -> tuple[list[ConfirmRequest], object]:
    asked: list[ConfirmRequest] = []

    def confirmer(request: ConfirmRequest) -> bool:
        asked.append(request)
        return answer
    result = run_episode(task, session, SingleSeatRouter(TeacherPolicy(SOLVERS)),
                         secrets=demo_secrets(), confirmer=confirmer,
                         options=EpisodeOptions(confirm=mode, max_steps=max_steps))
    return asked, result


def test_place_order_is_held_and_a_denial_is_the_next_error(
        tasks: dict[str, PracticeTask], session: BrowserSession) -> None:
    asked, result = _run(tasks["shop-buy-bottle"], session, answer=False, max_steps=20)
    assert asked, "Place order was not held"
    first = asked[0]
    assert first.described.startswith("click 'Place order'")
    assert first.reason == "it places an order"
    # The filled card number is hidden; the shipping address is shown as typed.
    values = dict(first.fields)
    assert CARD not in repr(first) and "17 Harbor Lane" in values.values()
    steps = result.steps  # type: ignore[attr-defined]
    held = next(i for i, s in enumerate(steps) if "Place order" in s.decision.action.to_text()
                or s.error.startswith("the user declined"))
    assert steps[held].error.startswith("the user declined click 'Place order'")
    assert steps[held + 1].observation.last_error == steps[held].error
    assert "LAST ACTION ERROR: the user declined" in steps[held + 1].observation.text()
    assert result.outcome == "failure"  # type: ignore[attr-defined]


def test_approved_order_and_sign_in_go_ahead(tasks: dict[str, PracticeTask],
                                             session: BrowserSession) -> None:
    asked, result = _run(tasks["webmail-login"], session, answer=False)
    assert asked == [] and result.outcome == "success"  # type: ignore[attr-defined]
    asked, result = _run(tasks["webmail-compose-new"], session, answer=True)
    assert [r.described.split(" [")[0] for r in asked] == ["click 'Send'"]
    assert result.outcome == "success"  # type: ignore[attr-defined]
    asked, result = _run(tasks["shop-open-product"], session, answer=False, mode="never")
    assert asked == [] and result.outcome == "success"  # type: ignore[attr-defined]


def _obs(*elements: Element) -> Observation:
    return Observation(url="http://127.0.0.1:1/x", title="", elements=elements)


def test_the_judgement_reads_element_and_form() -> None:
    login = {"form": "post", "formfields": "password", "submits": "true"}
    cases = [
        (Element("1", "button", "Sign in", 0, login), ""),
        (Element("1", "button", "Submit", 0, login), ""),              # still a login
        (Element("1", "button", "Delete account", 0, login), "it deletes something"),
        (Element("1", "button", "Search", 0, {"form": "get", "submits": "true"}), ""),
        (Element("1", "button", "Continue", 0,
                 {"form": "get", "formfields": "payment", "submits": "true"}),
         "it submits a form with payment details"),
        (Element("1", "button", "Update", 0,
                 {"form": "get", "formfields": "password,new-password", "submits": "true"}),
         "it changes a password"),
        (Element("1", "button", "Save changes", 0, {"form": "get", "submits": "true"}),
         "it saves changes to your settings"),
        (Element("1", "link", "Delete", 0), "it deletes something"),
        (Element("1", "link", "Sent", 0), ""),
        (Element("1", "button", "Proceed to checkout", 0), ""),
    ]
    for element, reason in cases:
        assert irreversible(Click("1"), _obs(element)) == reason, element
    field = Element("2", "textbox", "Card number", 0, {"form": "get", "formfields": "payment"})
    assert irreversible(Type("2", "x", True), _obs(field)) != ""
    assert irreversible(Type("2", "x", False), _obs(field)) == ""
    plain = _obs(Element("1", "link", "Products", 0))
    assert needs_confirmation("always", Click("1"), plain)
    assert not needs_confirmation("irreversible", Click("1"), plain)
    assert not needs_confirmation("never", Click("1"), _obs(Element("1", "link", "Delete", 0)))
