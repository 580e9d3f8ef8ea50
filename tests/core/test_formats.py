"""The on-device model's step formats: the action-first student names the element before its
id, the grammar offers only what each action can take, and outputs always parse on a real
(tiny) llama.cpp model."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from core.actions import Click, Select, Type, parse_action
from core.browser.views import parse_observation_text
from core.llm.base import LLMSettings
from core.llm.llama import LlamaModel
from core.policies.base import HistoryItem, StepContext
from core.policies.formats import (
    ActionFirst,
    canonical_text,
    named_text,
    student_user_prompt,
)
from core.policies.local import LocalPolicy

PAGE = parse_observation_text(
    "URL: http://127.0.0.1:8800/login\n"
    "[1] heading 'Sign in'\n"
    "[2] StaticText 'Welcome back'\n"
    "[3] textbox 'Username'\n"
    "[4] textbox 'Password' type=password\n"
    "[5] combobox 'Country' value='France' options='France|Spain'\n"
    "[6] button 'Sign in'\n"
    "[7] link \"Forgot your password? It's fine\"")


def context(history: tuple[HistoryItem, ...] = ()) -> StepContext:
    return StepContext(intent="Sign in as bob", observation=PAGE, history=history)


def test_actions_name_their_element_and_come_back_canonical() -> None:
    assert named_text(Click("6"), PAGE.element("6")) == "click 'Sign in' [6]"
    typed = named_text(Type("3", "bob", True), PAGE.element("3"))
    assert typed == "type 'Username' [3] [bob] [1]"
    assert canonical_text(typed) == "type [3] [bob] [1]"
    long = named_text(Click("7"), PAGE.element("7"))
    assert long == 'click "Forgot your password? It\'s" [7]'  # a few words; repr quotes
    assert canonical_text(long) == "click [7]"
    fmt = ActionFirst()
    assert fmt.parse("ACTION: select 'Country' [5] [Spain]", PAGE) == ("", Select("5", "Spain"))


def test_the_grammar_offers_each_action_only_what_it_can_take() -> None:
    gbnf = ActionFirst().grammar(context())
    click = next(line for line in gbnf.splitlines() if line.startswith("act-click"))
    typing = next(line for line in gbnf.splitlines() if line.startswith("act-type"))
    assert "'Welcome back' [2]" in click and "'Sign in' [6]" in click
    assert "'Username' [3]" in typing and "'Password' [4]" in typing
    assert "[2]" not in typing and "[6]" not in typing and "[5]" not in typing
    assert "[France]" in gbnf and "[Spain]" in gbnf
    assert "goto" not in gbnf  # the student never needs to invent a URL


def test_a_click_that_changed_nothing_is_not_offered_again_on_that_page() -> None:
    tried = HistoryItem(Click("2"), described="click 'Welcome back' [2]", url=PAGE.url,
                        no_effect=True)
    gbnf = ActionFirst().grammar(context((tried,)))
    assert "'Welcome back' [2]" not in gbnf and "'Sign in' [6]" in gbnf
    elsewhere = HistoryItem(Click("2"), url="http://127.0.0.1:8800/other", no_effect=True)
    assert "'Welcome back' [2]" in ActionFirst().grammar(context((elsewhere,)))
    user = ActionFirst().user(context((tried,)))
    assert user.index("OBSERVATION:") < user.index("PREVIOUS ACTIONS:")  # page first: KV reuse
    assert "click 'Welcome back' [2] (nothing changed)" in user


def test_the_user_prompt_puts_what_stays_first() -> None:
    text = student_user_prompt("Do it", "URL: x\n[1] button 'B'", ["click 'B' [1]"], ["n"])
    assert text.splitlines()[0] == "OBJECTIVE: Do it"
    assert text.index("OBSERVATION") < text.index("NOTES") < text.index("PREVIOUS ACTIONS")


@pytest.fixture(scope="module")
def student(tiny_gguf: Path) -> LocalPolicy:
    llm = LlamaModel(tiny_gguf, settings=LLMSettings(n_ctx=1024), prompt_style="student")
    return LocalPolicy(llm)


def test_student_outputs_always_parse_and_name_real_elements(student: LocalPolicy) -> None:
    rng = random.Random(3)
    for trial in range(8):
        ctx = StepContext(intent=f"task {trial}", observation=PAGE, step=trial,
                          history=(HistoryItem(Click(rng.choice("1267"))),))
        (best,) = student.propose(ctx)
        assert parse_action(best.action.to_text(), valid_ids=PAGE.ids) == best.action
        if isinstance(best.action, Type):
            assert best.action.id in ("3", "4")
        assert best.meta["n_generated"] < 40  # no reason is decoded before acting
    assert student.parse_failures == 0
    assert student.grounding is None  # grounding reads a reason this format does not write
