"""The action language: parser, renderer, grammar and prompt text all come from ACTION_SPECS."""

import pytest

from core.actions import (
    ACTION_SPECS,
    Action,
    ActionParseError,
    action_grammar,
    describe_actions,
    parse_action,
    split_reason_action,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("click [12]", Action("click", id="12")),
        ("type [3] [hello world] [1]",
         Action("type", id="3", text="hello world", press_enter=True)),
        ("type [3] [hello]", Action("type", id="3", text="hello")),
        ("type [3] [{{secret:bank_password}}] [0]",
         Action("type", id="3", text="{{secret:bank_password}}")),
        ("select [7] [Blue]", Action("select", id="7", option="Blue")),
        ("scroll [down]", Action("scroll", direction="down")),
        ("go_back", Action("go_back")),
        ("goto [http://127.0.0.1:8000/a?b=1]", Action("goto", url="http://127.0.0.1:8000/a?b=1")),
        ("note [the total is $12]", Action("note", text="the total is $12")),
        ("stop [42]", Action("stop", text="42")),
        ("stop", Action("stop")),
        ("  CLICK [5]  \nmore text", Action("click", id="5")),
    ],
)
def test_parse_and_render_round_trip(text: str, expected: Action) -> None:
    action = parse_action(text)
    assert action == expected
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


def test_prompt_text_lists_every_action() -> None:
    text = describe_actions()
    for spec in ACTION_SPECS:
        assert spec.usage in text and spec.doc in text


def test_grammar_names_only_real_ids_and_options() -> None:
    gbnf = action_grammar(["1", "12"], {"12": ["Red", "Blue"]})
    assert 'elem-id ::= "1" | "12"' in gbnf
    assert '"[Red]"' in gbnf and '"[Blue]"' in gbnf
    for spec in ACTION_SPECS:
        assert f'"{spec.name}' in gbnf
    no_ids = action_grammar([])
    assert "act-click" not in no_ids and "elem-id" not in no_ids


def test_split_reason_action() -> None:
    assert split_reason_action("REASON: go on\nACTION: click [3]") == ("go on", "click [3]")
    with pytest.raises(ActionParseError):
        split_reason_action("REASON: nothing")
