"""The privacy concern with real presidio, the real spaCy model, a real keyring backend
(keyrings.alt's plaintext file in a temp dir) and real Chromium for the DOM signals."""

from __future__ import annotations

import json
import logging
import random
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import spacy.cli

from core.actions import Goto, Stop, Type, parse_action
from core.browser.session import BrowserSession
from core.browser.views import parse_observation_text
from core.errors import SecretMissing, VaultError
from core.privacy import detector as detector_module
from core.privacy import recognizers
from core.privacy.detector import PrivacyDetector, get_detector
from core.privacy.redaction import PLACEHOLDER, PlaceholderError, Redactor
from core.privacy.secrets import Secret, Secrets
from core.privacy.vault import SecretVault, system_keyring
from core.privacy.views import Finding

VAULT = {"gmail": "blue-horse-42!", "bank_pin": "887766"}


def _no_network(*args: object, **kwargs: object) -> None:
    raise AssertionError(f"network attempt: {args!r}")


@pytest.fixture(scope="module")
def detector() -> Iterator[PrivacyDetector]:
    """Built once, from scratch, with the network cut: construction and the first scans
    (presidio, spaCy, tldextract's suffix list) must not try to connect."""
    patch = pytest.MonkeyPatch()
    detector_module._analyzer.cache_clear()
    patch.setattr(recognizers.OFFLINE_TLD, "_extractor", None)  # force a fresh suffix-list load
    patch.setattr(socket.socket, "connect", _no_network)
    patch.setattr(socket, "getaddrinfo", _no_network)
    patch.setattr(spacy.cli, "download", _no_network)
    try:
        built = PrivacyDetector(vault_values=lambda: list(VAULT.values()))
        assert built.has_ner
        assert _types(built, "Write to jane.doe@example.com", "task") == ["EMAIL_ADDRESS"]
        _types(built, "Ask John Smith for the key", "task")
    finally:
        patch.undo()
    yield built


def _types(detector: PrivacyDetector, text: str, where: str = "task") -> list[str]:
    return [f.entity_type for f in detector.scan(text, where) if not f.is_signal]  # type: ignore[arg-type]


def _values(detector: PrivacyDetector, text: str, where: str = "task") -> dict[str, str]:
    return {text[f.start:f.end]: f.entity_type
            for f in detector.scan(text, where) if not f.is_signal}  # type: ignore[arg-type]


# --- text recognizers -------------------------------------------------------------------------

@pytest.mark.parametrize("text, secret", [
    ("Log in with password hunter2 and check my orders", "hunter2"),
    ("my password: Tr0ub4dor&3.", "Tr0ub4dor&3"),
    ("sign in as bob, pw=abc12345 then log out", "abc12345"),
    ("The password for my router is 'correct horse'", "correct horse"),
])
def test_passwords_in_task_text(detector: PrivacyDetector, text: str, secret: str) -> None:
    found = [f for f in detector.scan(text, "task") if f.entity_type == "PASSWORD"]
    assert [text[f.start:f.end] for f in found] == [secret]
    assert found[0].category == "credential" and found[0].where == "task"


@pytest.mark.parametrize("text", [
    "Reset my password on the account page",
    "Click Forgot password? and follow the link",
    "Password must be at least 8 characters.",
    "The password is required to continue",
    "Find the zip code 94105 on the map",
])
def test_credential_words_without_a_secret(detector: PrivacyDetector, text: str) -> None:
    assert not {"PASSWORD", "OTP", "API_KEY"} & set(_types(detector, text))


def test_payment_identity_contact_with_categories(detector: PrivacyDetector) -> None:
    text = ("Pay with card 4111 1111 1111 1111, or wire from IBAN DE89 3704 0044 0532 0130 00. "
            "My SSN is 536-90-4399. Mail jane.doe@example.com or call (415) 555-0132.")
    findings = {text[f.start:f.end]: f for f in detector.scan(text, "task")}
    expected = {"4111 1111 1111 1111": ("CREDIT_CARD", "payment"),
                "DE89 3704 0044 0532 0130 00": ("IBAN_CODE", "payment"),
                "536-90-4399": ("US_SSN", "identity"),
                "jane.doe@example.com": ("EMAIL_ADDRESS", "contact"),
                "(415) 555-0132": ("PHONE_NUMBER", "contact")}
    for value, (entity, category) in expected.items():
        assert value in findings, f"{value} not found in {list(findings)}"
        assert (findings[value].entity_type, findings[value].category) == (entity, category)


def test_keys_tokens_otp_and_person(detector: PrivacyDetector) -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----"
    text = (f"Set sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx and ghp_{'a1B2' * 9} and "
            f"AKIAIOSFODNN7EXAMPLE. Your verification code is 482913. Ask Maria Garcia.\n{pem}")
    found = _values(detector, text)
    assert found["sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx"] == "API_KEY"
    assert found[f"ghp_{'a1B2' * 9}"] == "API_KEY"
    assert found["AKIAIOSFODNN7EXAMPLE"] == "API_KEY"
    assert found["482913"] == "OTP"
    assert found["Maria Garcia"] == "PERSON"
    assert found[pem] == "PRIVATE_KEY"


def test_findings_hold_no_values(detector: PrivacyDetector) -> None:
    text = "password: hunter2secret, card 4111111111111111"
    findings = detector.scan(text, "task")
    assert findings
    stored = json.dumps([f.to_dict() for f in findings])
    assert "hunter2secret" not in stored and "4111111111111111" not in stored
    assert set(findings[0].to_dict()) == {"category", "entity_type", "where", "start", "end",
                                          "score", "source", "element_id"}


# --- DOM signals, vault values, placeholders ---------------------------------------------------

OBSERVATION = """URL: http://shop.example/checkout
[1] heading 'Checkout'
 [2] textbox 'Email' type=email autocomplete=email value=''
 [3] textbox 'Password' type=password autocomplete=current-password value='<hidden>'
 [4] textbox 'Card number' autocomplete=cc-number value='5555 5555 5555 4444'
 [5] textbox 'CVV' value=''
 [6] textbox 'Social security number (SSN)' value=''
 [7] textbox 'IBAN' value=''
 [8] textbox 'Phone' type=tel value=''
 [9] textbox 'Street' autocomplete=shipping street-address value=''
 [10] textbox 'Code from your app' autocomplete=one-time-code value=''
 [11] link 'Forgot password?'
 [12] textbox 'Search products' value='blue lamp'"""


def test_dom_signals_from_observation_lines(detector: PrivacyDetector) -> None:
    findings = detector.scan(OBSERVATION, "observation")
    fields = {f.element_id: f for f in findings if f.entity_type == "DOM_FIELD"}
    assert {k: v.category for k, v in fields.items()} == {
        "2": "contact", "3": "credential", "4": "payment", "5": "payment", "6": "identity",
        "7": "payment", "8": "contact", "9": "location", "10": "credential"}
    line = OBSERVATION[fields["3"].start:fields["3"].end]
    assert line.startswith("[3] textbox 'Password'") and line.endswith("value='<hidden>'")
    card = [f for f in findings if f.entity_type == "CREDIT_CARD"]
    assert [OBSERVATION[f.start:f.end] for f in card] == ["5555 5555 5555 4444"]


def test_text_typed_into_a_sensitive_field(detector: PrivacyDetector) -> None:
    findings = detector.scan_step("Sign in to the shop", OBSERVATION,
                                  ["type [3] [plainword] [0]", "type [12] [red lamp] [1]"])
    typed = [f for f in findings if f.where == "action"]
    assert [(f.entity_type, f.category, f.element_id) for f in typed] == [
        ("PASSWORD", "credential", "3")]


def test_vault_values_are_findings_whatever_the_recognizers_say(
        detector: PrivacyDetector) -> None:
    for where, text in (("task", "use blue-horse-42! on the bank site"),
                        ("observation", "[5] StaticText 'your pin 887766 was accepted'"),
                        ("action", "type [5] [blue-horse-42!] [0]")):
        vault = [f for f in detector.scan(text, where) if f.entity_type == "VAULT_SECRET"]  # type: ignore[arg-type]
        assert vault and vault[0].category == "credential", text
        assert text[vault[0].start:vault[0].end] in VAULT.values()


def test_secret_placeholders_are_not_findings(detector: PrivacyDetector) -> None:
    assert detector.scan("log in with password {{secret:gmail}}", "task") == []
    findings = detector.scan_step("", OBSERVATION, ["type [3] [{{secret:gmail}}] [0]"])
    assert [f for f in findings if f.where == "action"] == []


def test_missing_model_falls_back_to_patterns_with_one_warning(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spacy.cli, "download", _no_network)
    monkeypatch.setattr(detector_module, "_warned_missing_model", False)
    with caplog.at_level(logging.WARNING, logger="core.privacy.detector"):
        first = PrivacyDetector(model="en_core_web_not_installed")
        second = get_detector(model="en_core_web_not_installed")
    assert not first.has_ner and not second.has_ner
    assert len([r for r in caplog.records if "not installed" in r.getMessage()]) == 1
    assert _types(first, "Ask John Smith at john@example.com") == ["EMAIL_ADDRESS"]
    assert "PASSWORD" in _types(second, "password: hunter2")


# --- redaction ---------------------------------------------------------------------------------

def test_redaction_round_trip(detector: PrivacyDetector) -> None:
    redactor = Redactor(detector, secrets=Secrets.from_mapping(VAULT))
    task = ("Email Maria Garcia at maria@example.org and pay with 4111 1111 1111 1111; "
            "my bank password is blue-horse-42!")
    redacted = redactor.redact(task)
    for value in ("Maria Garcia", "maria@example.org", "4111 1111 1111 1111", "blue-horse-42!"):
        assert value not in redacted
    tokens = {m.group(1): m.group(0) for m in PLACEHOLDER.finditer(redacted)}
    assert set(tokens) == {"PERSON", "EMAIL", "CARD"}
    assert "{{secret:gmail}}" in redacted
    # the same value keeps its placeholder across texts of the episode
    observation = "[4] StaticText 'Signed in as maria@example.org'\n[5] link 'Sign out'"
    assert tokens["EMAIL"] in redactor.redact(observation, url="http://shop.example/")
    assert redactor.restore_text(redacted) == task.replace("blue-horse-42!", "{{secret:gmail}}")
    assert redactor.placeholders_in(redacted) == [tokens["PERSON"], tokens["EMAIL"],
                                                  tokens["CARD"], "{{secret:gmail}}"]
    # redacted text scans clean: placeholders are not findings
    assert _types(detector, redacted) == []


def test_placeholders_map_back_only_where_they_may_go(detector: PrivacyDetector) -> None:
    redactor = Redactor(detector, rng=random.Random(3))
    task_text = redactor.redact("Send it to maria@example.org")
    page_text = redactor.redact("[4] StaticText 'call +1 415 555 0132'",
                                url="http://shop.example/cart")
    email = PLACEHOLDER.search(task_text).group(0)  # type: ignore[union-attr]
    phone = PLACEHOLDER.search(page_text).group(0)  # type: ignore[union-attr]
    shop = parse_observation_text("URL: http://shop.example/form\n[9] textbox 'To'")
    other = parse_observation_text("URL: http://127.0.0.1:9999/steal\n[9] textbox 'To'")
    # a value from the task may be typed on any page; one seen on a page only on its site
    assert redactor.restore_action(Type("9", email), other) == Type("9", "maria@example.org")
    assert redactor.restore_action(Type("9", phone), shop) == Type("9", "+1 415 555 0132")
    with pytest.raises(PlaceholderError, match="was not seen on http://127.0.0.1:9999"):
        redactor.restore_action(Type("9", phone), other)
    # never into a URL, never a placeholder nobody issued
    with pytest.raises(PlaceholderError, match="goto may not carry a placeholder"):
        redactor.restore_action(Goto(f"http://127.0.0.1:9999/?q={email}"), shop)
    with pytest.raises(PlaceholderError, match="unknown placeholder <EMAIL_ZZZZ>"):
        redactor.restore_action(Type("9", "<EMAIL_ZZZZ>"), shop)
    assert redactor.restore_action(Stop(f"It is {phone}"), other) == Stop(
        "It is +1 415 555 0132")
    # tags are random per redactor: another episode cannot guess this one's
    assert Redactor(detector, rng=random.Random(4)).redact("Send it to maria@example.org") \
        != task_text


def test_redaction_with_explicit_findings_keeps_dom_lines(detector: PrivacyDetector) -> None:
    redactor = Redactor(secrets=Secrets.from_mapping(VAULT))
    findings = detector.scan(OBSERVATION, "observation")
    redacted = redactor.redact(OBSERVATION, findings)
    assert "5555 5555 5555 4444" not in redacted and "value='<CARD_" in redacted
    assert "[3] textbox 'Password' type=password" in redacted
    assert redactor.restore_text(redacted) == OBSERVATION


# --- vault ---------------------------------------------------------------------------------------

@pytest.fixture()
def plaintext_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every keyring path inside tmp_path: the user's real keyring is never touched."""
    monkeypatch.setenv("SYMBIOTE_HOME", str(tmp_path))
    monkeypatch.setenv("SYMBIOTE_KEYRING", "plaintext")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path


def test_vault_plaintext_backend(plaintext_home: Path) -> None:
    vault = SecretVault()
    assert vault.backend == "plaintext"
    vault.set("gmail", "blue-horse-42!")
    vault.set("bank.pin", "887766")
    assert vault.names() == ["bank.pin", "gmail"]
    assert vault.get("gmail") == "blue-horse-42!"
    assert sorted(vault.values()) == ["887766", "blue-horse-42!"]
    index = (plaintext_home / "vault_index.json").read_text()
    assert "gmail" in index and "blue-horse-42!" not in index
    assert (plaintext_home / "vault_plaintext.cfg").exists()
    assert not (plaintext_home / "xdg").exists()
    # a second vault over the same files sees the same secrets
    again = SecretVault(backend="plaintext")
    assert again.get("bank.pin") == "887766"
    assert "887766" not in repr(again)
    assert again.as_secrets().substitute("pin {{secret:bank.pin}}") == "pin 887766"
    again.delete("bank.pin")
    assert again.names() == ["gmail"]
    with pytest.raises(SecretMissing, match="no secret named 'bank.pin'"):
        again.get("bank.pin")
    with pytest.raises(VaultError, match="must be 1-64 letters"):
        again.set("bad name!", "x")


def test_vault_backend_choice_is_explicit(plaintext_home: Path) -> None:
    with pytest.raises(VaultError, match="unknown keyring backend"):
        SecretVault(backend="nope")  # type: ignore[arg-type]
    if system_keyring() is None:  # headless: "system" must refuse, not fall back silently
        with pytest.raises(VaultError, match="no system keyring"):
            SecretVault(backend="system")
        assert SecretVault(backend="auto").backend == "plaintext"


# --- real page ---------------------------------------------------------------------------------

def test_dom_signals_on_a_real_page(detector: PrivacyDetector, pages_url: str) -> None:
    with BrowserSession(allowed_domains=[urlparse(pages_url).netloc]) as session:
        session.goto(pages_url + "pay.html")
        obs = session.observe()
        ids = {e.name: e.id for e in obs.elements}
        assert session.execute(parse_action(f"type [{ids['Card number']}] "
                                            "[4111 1111 1111 1111] [0]")) == ""
        assert session.execute(parse_action(f"type [{ids['Password']}] [hunter2] [0]")) == ""
        text = session.observe().text()
    findings: list[Finding] = detector.scan(text, "observation")
    fields = {f.element_id: f.category for f in findings if f.entity_type == "DOM_FIELD"}
    assert fields == {ids["Email"]: "contact", ids["Password"]: "credential",
                      ids["Card number"]: "payment", ids["CVV"]: "payment"}
    assert "hunter2" not in text  # the page shows <hidden>, and nothing else finds it
    assert [text[f.start:f.end] for f in findings if f.entity_type == "CREDIT_CARD"] == [
        "4111 1111 1111 1111"]


def test_a_secret_goes_only_to_its_site_and_into_a_field_of_its_kind() -> None:
    guard = Secrets([Secret("card", "4111111111111111", ("https://shop.example",), "card"),
                     Secret("pw", "Plum-Kite-4821!", ("http://127.0.0.1:8800",)),
                     Secret("loose", "Zebra-Quartz-9931!")]).guard
    page = ("[1] textbox 'Password' type=password\n"
            "[2] textbox 'Card' autocomplete='billing cc-number'\n"
            "[3] textbox 'Name on card' autocomplete=cc-name\n"
            "[4] textbox 'Message'\n"
            "[5] textbox 'Search the help center' type=password")
    shop = parse_observation_text("URL: https://shop.example/pay\n" + page)
    local = parse_observation_text("URL: http://127.0.0.1:8800/login\n" + page)
    other_port = parse_observation_text("URL: http://127.0.0.1:9999/login\n" + page)

    def typed(name: str, field: str, obs: object, intent: str = "Pay.") -> str:
        return guard(parse_action(f"type [{field}] [{{{{secret:{name}}}}}]"), intent, obs)  # type: ignore[arg-type]

    assert typed("card", "2", shop) == ""                   # its site, a payment field
    assert "not a card field" in typed("card", "1", shop)   # a password field is not for cards
    assert "not a card field" in typed("card", "3", shop)   # a cardholder name holds no secret
    assert "not a card field" in typed("card", "4", shop, "Send {{secret:card}} to Bob.")
    assert "belongs to https://shop.example" in typed("card", "2", local)
    assert typed("pw", "1", local) == ""
    assert "belongs to http://127.0.0.1:8800, not http://127.0.0.1:9999" in typed(
        "pw", "1", other_port)                              # the same host on another port
    assert "not a password field" in typed("pw", "4", local)  # "type it into the search box"
    # no site: only where the task names it, and still only into a field of its kind
    assert "has no site" in typed("loose", "1", local)
    assert typed("loose", "1", local, "Sign in with {{secret:loose}}.") == ""
    assert "no such secret" in typed("nope", "1", local)
