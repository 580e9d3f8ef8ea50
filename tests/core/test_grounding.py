"""Click grounding (core.policies.grounding): the rules on real failure cases, and what they
must never do."""

from __future__ import annotations

import pytest

from core.actions import parse_action
from core.browser.views import Element, Observation
from core.errors import ConfigError
from core.policies.grounding import RuleGrounding, ground_click, make_grounder


def page(*elements: tuple[str, str, str]) -> Observation:
    return Observation(url="http://127.0.0.1/page", title="t", elements=tuple(
        Element(id=i, role=role, name=name, depth=0) for i, role, name in elements))


# Pages and (reason, click) pairs as SmolLM2 v2/v3 wrote them on unseen MiniWoB++ seeds (FEED's
# reasons are the teacher's, which v3 did not yet copy).
BUTTONS = page(("1", "button", "no"), ("2", "StaticText", "volutpat posuere amet"),
               ("4", "textbox", ""), ("7", "button", "Cancel"))
LINKS = page(("1", "StaticText", "Tortor vulputate. Eu imperdiet mattis."),
             ("2", "clickable", "hendrerit"), ("3", "clickable", "eu."),
             ("5", "clickable", "Massa"), ("6", "clickable", "massa."))
RADIOS = page(("1", "radio", "ACjXo"), ("4", "radio", "rAk6PCQ"), ("6", "radio", "rseLQZ"),
              ("7", "button", "Submit"))
INBOX = page(("9", "clickable", ""), ("10", "StaticText", "Fernandina"),
             ("13", "img", "trash"), ("16", "StaticText", "Sherline"), ("19", "img", "trash"))
CASES = page(("1", "button", "next"), ("2", "StaticText", "et proin"), ("3", "button", "Next"))
FORM = page(("1", "slider", ""), ("2", "StaticText", "-8"), ("3", "checkbox", ""),
            ("4", "checkbox", ""), ("5", "checkbox", ""), ("6", "button", "Submit"))
RESULTS = page(("2", "button", "Search"), ("16", "link", "Dannie"), ("19", "link", "Donovan"),
               ("22", "link", "Dannie"))
FEED = page(("1", "StaticText", "@tortor"), ("3", "img", "reply"), ("4", "img", "more"),
            ("5", "StaticText", "@augus"), ("6", "StaticText", "Nec massa."),
            ("7", "img", "reply"), ("8", "img", "more"),
            ("9", "StaticText", "@augus"), ("10", "img", "reply"), ("12", "img", "more"))


@pytest.mark.parametrize(("observation", "reason", "clicked", "grounded"), [
    # The reason quotes one element's exact name: that element, whatever was clicked.
    (BUTTONS, 'This is the "no" button.', "4", "1"),
    (CASES, 'This is the "next" button.', "3", "1"),
    (CASES, 'This is the "Next" button.', "3", "3"),
    (LINKS, 'This is the link "eu.".', "5", "3"),
    # Unquoted: only among elements of the clicked element's role.
    (RADIOS, "Choose the option rAk6PCQ.", "6", "4"),
    # The reason counts to an element of a role: that element, whatever was clicked.
    (FORM, "Only the 2nd checkbox should be ticked.", "3", "4"),
    (FORM, "Only the 2nd checkbox should be ticked.", "6", "4"),
    (FORM, "Only the 2nd checkbox should be ticked.", "4", "4"),
    # ... kept when there is no such element, or the reason counts two.
    (FORM, "Only the 4th checkbox should be ticked.", "3", "3"),
    (FORM, "The 1st checkbox, not the 3rd checkbox.", "3", "3"),
    # The reason names a kind of element the page repeats and its possessor: the first one after.
    (INBOX, "The trash icon of Fernandina's email.", "19", "13"),
    (INBOX, "The trash icon of Sherline's email.", "13", "19"),
    (FEED, "Open the 'more' menu of @augus's post.", "4", "8"),
    # ... whatever kind of element was clicked (the post's text here).
    (FEED, "Open the 'more' menu of @augus's post.", "6", "8"),
    # ... kept when it already follows an occurrence of the anchor (@augus wrote two posts).
    (FEED, "Open the 'more' menu of @augus's post.", "12", "12"),
    (FEED, "The reply icon of @augus's post.", "10", "10"),
    # ... kept when the reason names no anchor, or two.
    (INBOX, "Delete it with the trash icon.", "19", "19"),
    (INBOX, "The trash icon of Fernandina's or Sherline's email.", "19", "19"),
    # ... and an element's name that the reason uses but not as a possessor is no anchor.
    (RESULTS, "This is search result 5 (Dannie).", "19", "19"),
    # Kept: the clicked element's own name is in the reason (right or wrong, nothing to go by).
    (RADIOS, "Everything is set; press Submit.", "7", "7"),
    # Kept: an unnamed element clicked and nothing quoted.
    (INBOX, "Open the email from Fernandina.", "9", "9"),
    # Kept: the reason names no element, or two (ambiguous).
    (LINKS, "Click the first link.", "2", "2"),
    (LINKS, 'Either "Massa" or "massa." will do.', "2", "2"),
])
def test_a_click_is_grounded_in_the_element_its_reason_names(
        observation: Observation, reason: str, clicked: str, grounded: str) -> None:
    action = parse_action(f"click [{clicked}]")
    assert ground_click(reason, action, observation) == parse_action(f"click [{grounded}]")


def test_grounding_never_repeats_the_previous_click() -> None:
    # click-button-sequence: the second step copies the first step's reason, the click is right.
    buttons = page(("1", "button", "ONE"), ("2", "button", "TWO"))
    action = parse_action("click [2]")
    assert ground_click("This is button ONE.", action, buttons, "click [1]") == action
    assert ground_click("This is button ONE.", action, buttons, "") == parse_action("click [1]")


def test_grounding_never_changes_other_actions() -> None:
    typed = parse_action("type [4] [no] [0]")
    assert ground_click('Type "no" in the box; it is the "no" button.', typed, BUTTONS) == typed


def test_grounders_are_chosen_by_name() -> None:
    assert isinstance(make_grounder("rules"), RuleGrounding)
    assert make_grounder("off") is None
    with pytest.raises(ConfigError, match="unknown grounding 'magic'"):
        make_grounder("magic")
