"""Credentials written in a task become episode secrets before any seat sees the task."""

from __future__ import annotations

import pytest

from core.privacy.secrets import Secrets
from core.privacy.task_secrets import lift_task_secrets

START = "http://127.0.0.1:8800/login"


@pytest.mark.parametrize(("intent", "lifted", "values"), [
    ("Sign in as hquist with password Kestrel!Harbor-88",
     "Sign in as hquist with password {{secret:task_password}}", ["Kestrel!Harbor-88"]),
    ('Enter the username "kanesha" and the password "XjpL" into the text fields.',
     'Enter the username "kanesha" and the password "{{secret:task_password}}" into the '
     'text fields.', ["XjpL"]),
    ("Log into your account (member ID 55102, PIN 4821)",
     "Log into your account (member ID 55102, PIN {{secret:task_password}})", ["4821"]),
    ("Pay with card 4111 1111 1111 1111, CVV 737.",
     "Pay with card {{secret:task_card}}, CVV {{secret:task_cvv}}.",
     ["4111 1111 1111 1111", "737"]),
    ("Click on the \"Submit\" button.", "Click on the \"Submit\" button.", []),
    ("Type {{secret:bank}} as the password.", "Type {{secret:bank}} as the password.", []),
])
def test_credentials_in_a_task_are_lifted(intent: str, lifted: str, values: list[str]) -> None:
    text, secrets = lift_task_secrets(intent, START, Secrets())
    assert text == lifted
    assert sorted(secrets.values()) == sorted(values)
    assert all(s.sites == (START.rsplit("/", 1)[0],) for s in secrets.items())


def test_a_lifted_secret_keeps_the_vault_beside_it() -> None:
    vault = Secrets.from_mapping({"bank": "Zebra-Quartz-9931!"})
    _, secrets = lift_task_secrets("Use password Kestrel!Harbor-88", START, vault)
    assert sorted(s.name for s in secrets.items()) == ["bank", "task_password"]
    kinds = {s.name: s.kind for s in secrets.items()}
    assert kinds["task_password"] == "password"
