"""The action language: parser, text form, grammar and prompt text all come from the typed
action kinds, and the executor has a handler for every kind that touches the page."""

import pytest

from core.actions import (
    ACTIONS,
    Click,
    ElementAction,
    GoBack,
    Goto,
    Note,
    Scroll,
    Select,
    Stop,
    Type,
    action_grammar,
    describe_actions,
    parse_action,
    split_reason_action,
)
from core.browser import executor
from core.errors import ActionParseError


@pytest.mark.parametrize(
    "text, expected",
    [
        ("click [12]", Click("12")),
        ("type [3] [hello world] [1]", Type("3", "hello world", press_enter=True)),
        ("type [3] [hello]", Type("3", "hello")),
        ("type [3] [{{secret:bank_password}}] [0]", Type("3", "{{secret:bank_password}}")),
        ("select [7] [Blue]", Select("7", "Blue")),
        ("scroll [down]", Scroll("down")),
        ("go_back", GoBack()),
        ("goto [http://127.0.0.1:8000/a?b=1]", Goto("http://127.0.0.1:8000/a?b=1")),
        ("note [the total is $12]", Note("the total is $12")),
        ("stop [42]", Stop("42")),
        ("stop", Stop()),
        ("  CLICK [5]  \nmore text", Click("5")),
    ],
)
def test_parse_and_render_round_trip(text: str, expected: object) -> None:
    action = parse_action(text)
    assert action == expected and type(action) is type(expected)
    assert parse_action(action.to_text()) == action


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty action"),
        ("press [1]", "unknown action 'press'"),
        ("click 12", "expected an argument in square brackets"),
        ("click [abc]", "element id must be a number"),
        ("click [1] [2]", "click takes 'click [id]', got 2"),
        ("type [1] [x] [2]", "press_enter must be 0 or 1"),
        ("scroll [left]", "direction must be up or down"),
        ("click [99]", "no element with id [99]"),
    ],
)
def test_parse_errors_are_precise(text: str, message: str) -> None:
    with pytest.raises(ActionParseError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_action(text, valid_ids=["1", "2", "12"])


def test_prompt_text_lists_every_action_from_its_docstring() -> None:
    text = describe_actions()
    for cls in ACTIONS:
        assert cls.usage() in text and cls.doc() and cls.doc() in text


def test_the_executor_handles_every_kind_that_touches_the_page() -> None:
    page_free = {Note, Stop}
    assert set(executor._HANDLERS) == set(ACTIONS) - page_free
    assert all(issubclass(cls, ElementAction) == ("id" in [a.field for a in cls.ARGS])
               for cls in ACTIONS)


def test_grammar_names_only_real_ids_and_options() -> None:
    gbnf = action_grammar(["1", "12"], {"12": ["Red", "Blue"]})
    assert 'elem-id ::= "1" | "12"' in gbnf
    assert '"[Red]"' in gbnf and '"[Blue]"' in gbnf
    for cls in ACTIONS:
        assert f'"{cls.NAME}' in gbnf
    no_ids = action_grammar([])
    assert "act-click" not in no_ids and "elem-id" not in no_ids


def test_grammar_narrows_the_ids_an_action_kind_may_name() -> None:
    gbnf = action_grammar(["1", "2", "3"], ids_for={"type": ["2"]})
    assert 'ids-type ::= "2"' in gbnf
    assert 'act-type ::= "type" " " "[" ids-type "]"' in gbnf
    assert 'act-click ::= "click" " " "[" elem-id "]"' in gbnf
    no_fields = action_grammar(["1"], ids_for={"type": []})
    assert "act-type" not in no_fields and "act-click" in no_fields


def test_split_reason_action() -> None:
    assert split_reason_action("REASON: go on\nACTION: click [3]") == ("go on", "click [3]")
    with pytest.raises(ActionParseError):
        split_reason_action("REASON: nothing")
