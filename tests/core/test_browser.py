"""Real Chromium on local pages: ids resolve, every action kind works, failures are reported."""

from __future__ import annotations

from urllib.parse import urlparse

from core.actions import parse_action
from core.browser.session import BrowserSession
from core.privacy.secrets import Secrets


def by_name(obs, role: str, name: str) -> str:  # type: ignore[no-untyped-def]
    matches = [e.id for e in obs.elements if e.role == role and e.name == name]
    assert matches, f"no {role} {name!r} in:\n{obs.text()}"
    return matches[0]


def act(session: BrowserSession, text: str) -> str:
    return session.execute(parse_action(text))


def test_observation_lines_and_privacy_props(session: BrowserSession, pages_url: str) -> None:
    session.goto(pages_url + "form.html")
    obs = session.observe()
    text = obs.text()
    assert obs.title == "Test form"
    assert "heading 'Sign in'" in text
    pw = obs.element(by_name(obs, "textbox", "Password"))
    assert pw is not None and pw.props["type"] == "password"
    assert pw.props["autocomplete"] == "current-password"
    card = obs.element(by_name(obs, "textbox", "Card number"))
    assert card is not None and card.props["autocomplete"] == "cc-number"
    color = obs.element(by_name(obs, "combobox", "Color"))
    assert color is not None and color.options == ("Red", "Green", "Blue")
    assert "[" + by_name(obs, "button", "Disabled") + "] button 'Disabled' disabled=true" in text
    # every id resolves to exactly one element on the page
    for element in obs.elements:
        assert session.page.locator(f'[data-sid="{element.id}"]').count() == 1


def test_ids_are_stable_across_observations(session: BrowserSession, pages_url: str) -> None:
    session.goto(pages_url + "form.html")
    first = session.observe()
    second = session.observe()
    assert first.ids == second.ids


def test_each_action_kind(session: BrowserSession, pages_url: str) -> None:
    session.goto(pages_url + "form.html")
    obs = session.observe()
    user, pw = by_name(obs, "textbox", "Username"), by_name(obs, "textbox", "Password")
    assert act(session, f"type [{user}] [alice] [0]") == ""
    secrets = Secrets.from_mapping({"site_pw": "hunter2-canary"})
    assert session.execute(parse_action(f"type [{pw}] [{{{{secret:site_pw}}}}] [0]"),
                           secrets=secrets) == ""
    assert session.page.locator("#pw").input_value() == "hunter2-canary"
    assert act(session, f"select [{by_name(obs, 'combobox', 'Color')}] [Blue]") == ""
    assert session.page.locator("#color").input_value() == "Blue"
    assert act(session, f"click [{by_name(obs, 'checkbox', 'Remember me')}]") == ""
    assert session.page.locator("#remember").is_checked()
    assert act(session, f"type [{by_name(obs, 'textbox', 'Date')}] [2024-03-05] [0]") == ""
    assert session.page.locator("#when").input_value() == "2024-03-05"
    after = session.observe()
    text = after.text()
    assert "value='alice'" in text and "hunter2-canary" not in text
    assert "value='<hidden>'" in text and "checked=true" in text
    assert act(session, f"type [{user}] [bob] [1]") == ""  # Enter submits the form
    assert "submitted bob" in session.page.locator("#out").inner_text()
    assert act(session, "scroll [down]") == ""
    assert session.page.evaluate("window.scrollY") > 0
    assert act(session, "scroll [up]") == ""
    assert act(session, f"click [{by_name(after, 'link', 'Next page')}]") == ""
    assert session.page.url.endswith("second.html")
    assert act(session, "go_back") == ""
    assert session.page.url.endswith("form.html")
    assert act(session, f"goto [{pages_url}second.html]") == ""
    assert session.observe().title == "Second"


def test_failing_actions_are_reported_not_raised(session: BrowserSession, pages_url: str) -> None:
    session.goto(pages_url + "form.html")
    obs = session.observe()
    vanish = by_name(obs, "button", "Vanish")
    assert act(session, f"click [{vanish}]") == ""
    assert "no longer on the page" in act(session, f"click [{vanish}]")  # detached
    assert "timed out" in act(session, f"click [{by_name(obs, 'button', 'Disabled')}]")
    assert "failed" in act(session, "type [9999] [x] [0]")
    assert "no secret named 'nope'" in session.execute(
        parse_action(f"type [{by_name(obs, 'textbox', 'Username')}] [{{{{secret:nope}}}}] [0]"))
    # the error shows up in the next observation, and the session still works
    assert "LAST ACTION ERROR: boom" in session.observe(last_error="boom").text()


def test_a_click_under_a_dialog_names_the_dialog(session: BrowserSession, pages_url: str) -> None:
    """A cookie banner over the page: the click times out, and the error names the banner by
    its id in the observation (not by its text), so the next step can deal with it."""
    session.goto(pages_url + "covered.html")
    obs = session.observe()
    buy = by_name(obs, "button", "Buy now")
    banner = by_name(obs, "dialog", "Cookies")
    error = act(session, f"click [{buy}]")
    assert error == f"click [{buy}] timed out: the element is covered by [{banner}] (a dialog)"
    assert act(session, f"click [{by_name(obs, 'button', 'Accept all')}]") == ""
    assert act(session, f"click [{buy}]") == ""
    assert session.page.locator("#out").inner_text() == "bought"


def test_allow_list_refuses_outside_navigation(session: BrowserSession, pages_url: str) -> None:
    session.allowed_domains = [urlparse(pages_url).netloc]  # this host, this port only
    session.goto(pages_url + "form.html")
    obs = session.observe()
    error = act(session, "goto [https://outside.example.com/]")
    assert "refused" in error
    error = act(session, f"click [{by_name(obs, 'link', 'Outside')}]")
    assert "refused" in error and "outside.example.com" in error
    assert session.page.url.startswith(pages_url)
