"""The on-device model's step formats: the action-first student names the element before its
id, the grammar offers only what each action can take, and outputs always parse on a real
(tiny) llama.cpp model."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest

from core.actions import Click, Select, Type, parse_action
from core.browser.views import parse_observation_text
from core.llm.base import LLMSettings
from core.llm.llama import LlamaModel
from core.policies.base import HistoryItem, StepContext
from core.policies.formats import (
    COPY_UNIT,
    ActionFirst,
    canonical_text,
    copy_rules,
    copy_sources,
    format_for,
    item_names,
    named_text,
    student_user_prompt,
)
from core.policies.grounding import CopyGrounding
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
    assert "[1]" not in click  # a heading only structures the page: nothing to click
    assert "'Username' [3]" in typing and "'Password' [4]" in typing
    assert "[2]" not in typing and "[6]" not in typing and "[5]" not in typing
    assert "[France]" in gbnf and "[Spain]" in gbnf
    assert "goto" not in gbnf  # the student never needs to invent a URL


LIST = parse_observation_text(
    "URL: http://127.0.0.1:8800/invoices\n"
    "[1] link 'Home'\n"
    "[2] heading 'Invoices'\n"
    "[3] heading 'INV-1090'\n"
    "[4] button 'Show details'\n"
    "[5] heading 'INV-2917'\n"
    "[6] button 'Show details'\n"
    "[7] heading 'INV-2920'\n"
    "[8] button 'Show details'\n"
    "[9] textbox 'Email'\n"
    "[10] button 'Subscribe'\n"
    "[11] textbox 'Email'")


def test_repeated_controls_are_named_by_their_item() -> None:
    """Seven 'Show details' differ only by id, which a small model copies badly; named by
    their item, the action says what the task says: 'Show details of INV-2920'."""
    assert item_names(LIST) == {"4": "INV-1090", "6": "INV-2917", "8": "INV-2920"}
    fmt = format_for("student-items")
    assert isinstance(fmt, ActionFirst) and fmt.items
    ctx = StepContext(intent="Open INV-2920", observation=LIST)
    gbnf = fmt.grammar(ctx)
    assert "'Show details of INV-2920' [8]" in gbnf and "'Show details' [8]" not in gbnf
    assert "'Home' [1]" in gbnf and "'Email' [9]" in gbnf  # the rest as before; fields too
    assert "[8] button 'Show details' of='INV-2920'" in fmt.user(ctx)
    assert "of=" not in fmt.user(ctx).split("[9]")[1]  # fields are told apart by their form
    assert fmt.parse("ACTION: click 'Show details of INV-2920' [8]", LIST) == ("", Click("8"))
    assert fmt.max_chars(ctx) >= len("ACTION: click 'Show details of INV-2920' [8]")
    plain = format_for("student")  # the format v5-v11 learned is unchanged
    assert not plain.items and "of=" not in plain.user(ctx)
    assert "'Show details' [8]" in plain.grammar(ctx)


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


def test_a_click_taken_twice_from_the_same_page_state_is_not_offered_there_again() -> None:
    """A B A B: each click changes the page, but back to a state it had; the third time the
    page is in the same state, the click taken twice from it is left out."""
    here = PAGE.state()
    went = HistoryItem(Click("7"), url=PAGE.url, state=here)
    came_back = HistoryItem(Click("1"), url=PAGE.url + "/forgot", state="elsewhere")
    once = ActionFirst(no_loops=True).grammar(context((went, came_back)))
    assert "[7]" in once  # going back to a page to do it right is allowed once
    round_twice = context((went, came_back, went, came_back))
    twice = ActionFirst(no_loops=True).grammar(round_twice)
    assert "[7]" not in twice and "'Sign in' [6]" in twice
    assert "[7]" in ActionFirst().grammar(round_twice)  # the model alone may go round
    moved = replace(went, state="another state of the page")
    assert "[7]" in ActionFirst(no_loops=True).grammar(
        context((moved, came_back, moved, came_back)))


def test_the_history_shows_as_many_earlier_steps_as_the_model_was_trained_with() -> None:
    steps = tuple(HistoryItem(Click(str(i)), described=f"click 'Step {i}' [{i}]")
                  for i in range(1, 8))
    default = ActionFirst().user(context(steps))
    assert "'Step 3'" not in default and "'Step 4'" in default and "'Step 7'" in default
    longer = format_for("student-items", history=8).user(context(steps))
    assert all(f"click 'Step {i}' [{i}]" in longer for i in range(1, 8))
    assert longer.index("'Step 1'") < longer.index("'Step 7'")


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


def _copied(text: str, sources: list[str]) -> bool:
    """Every unit of `text` is a unit of the sources, and each next one follows it (with the
    same gap) somewhere in them."""
    pairs, units = set(), set()
    for source in sources:
        found = list(COPY_UNIT.finditer(source))
        units.update(m.group(0) for m in found)
        pairs.update((a.group(0), b.start() > a.end(), b.group(0)) for a, b in pairwise(found))
    mine = list(COPY_UNIT.finditer(text))
    return (all(m.group(0) in units for m in mine)
            and all((a.group(0), b.start() > a.end(), b.group(0)) in pairs
                    for a, b in pairwise(mine)))


def _at_chunk_edges(text: str, sources: list[str]) -> bool:
    """`text` begins with a unit that begins a whitespace-delimited chunk of some source and
    ends with one that ends a chunk of some source (punctuation at a chunk's edges aside)."""
    mine = list(COPY_UNIT.finditer(text))
    found = [(s, m) for s in sources for m in COPY_UNIT.finditer(s)]
    return (any(m.group(0) == mine[0].group(0) and re.search(r"(?:^|\s)[^\w\s]*$", s[:m.start()])
                for s, m in found)
            and any(m.group(0) == mine[-1].group(0) and re.match(r"[^\w\s]*(?:\s|$)", s[m.end():])
                    for s, m in found))


def test_a_copy_starts_and_ends_where_a_chunk_of_its_source_does() -> None:
    """"alex" is not what "alex.morgan" says: the grammar neither stops inside a chunk nor
    starts there, and a sentence's full stop does not hold a copy back."""
    rules = copy_rules(("Sign in as alex.morgan with {{secret:pw}}.", "Name alex"))
    start, *units = rules
    unit = {r.split(" ::= ")[1].split(" ")[0].strip('"'): r for r in units}
    assert unit["alex"].endswith(")?")            # "Name alex" ends a chunk with it
    assert unit["{{secret:pw}}"].endswith(")?")   # the full stop after it may be left out
    offered = {units[int(c.strip()[3:])].split(" ::= ")[1].split(" ")[0].strip('"')
               for c in start.split(" ::= ")[1].split("|")}
    assert offered == {"Sign", "in", "as", "alex", "with", "{{secret:pw}}", "Name"}
    inside = copy_rules(("user alex.morgan",))
    assert inside[0] == "copied ::= cu-0 | cu-1"   # not "." nor "morgan"
    assert inside[2] == 'cu-1 ::= "alex" ( cu-2 )'   # "." must follow, then "morgan"
    assert inside[4] == 'cu-3 ::= "morgan"'


def test_the_copy_grammar_types_and_answers_only_what_the_step_read(tiny_gguf: Path) -> None:
    """Sampled at temperature 1 from a random model, every typed text and every answer is
    made of the task's, the notes' or the page's words in an order they have there: the
    user name keeps its case, a placeholder comes whole, brackets never."""
    intent = "Sign in as tamthor417 with the password {{secret:site_password}}."
    llm = LlamaModel(tiny_gguf, settings=LLMSettings(n_ctx=1024), prompt_style="student")
    policy = LocalPolicy(llm, grounding=CopyGrounding())
    assert policy.id.endswith("+kinds+copy")
    fmt = policy.format
    assert isinstance(fmt, ActionFirst) and fmt.copy
    ctx = StepContext(intent=intent, observation=PAGE, notes=("code [7] 42",))
    step = policy.step_prompt(ctx)
    texts = []
    for trial in range(16):
        kind = ("act-type", "act-stop")[trial % 2]
        gen = llm.generate(step.tokens, gbnf=fmt.grammar(ctx, kind), temperature=1.0,
                           seed=trial, max_tokens=step.max_tokens)
        action = fmt.parse(gen.text, PAGE)[1]  # always parses: the grammar closes the text
        texts.append(action.text if isinstance(action, Type) else getattr(action, "answer", ""))
    assert sum(bool(t) for t in texts) >= 4, texts
    for text in filter(None, texts):
        assert _copied(text, copy_sources(ctx)), text
        assert _at_chunk_edges(text, list(copy_sources(ctx))), text
        assert "Tamthor" not in text and "[" not in text and "]" not in text
    gbnf = fmt.grammar(ctx)
    assert '"{{secret:site_password}}"' in gbnf and '"tamthor417"' in gbnf
    assert " text " not in gbnf.split("text ::=")[0]  # free text is not reachable
    # … but an empty one is: `type [id] []` clears a field a slip typed into.
    assert re.search(r'act-type ::= .*" \[" copied\? "\] \[" \[01\] "\]"', gbnf), gbnf
    assert "[^" in ActionFirst().grammar(ctx)  # without copy it is
