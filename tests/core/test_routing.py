"""Every branch of the privacy router (core.routing.privacy.PrivacyRouter), one step each,
with the real CloudPolicy against the fake Anthropic server, the real boundary and detector,
and the real SQLite audit.

The router is composed as core.agent.build_router composes it, with the teacher in the
on-device seat (its practice solver finds nothing to do on these pages and stops, at once):
what the device decides does not matter here, where the step is decided and what was sent
and audited does.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.actions import Type
from core.agent import AgentConfig, cloud_seat, demonstrations
from core.browser.views import Element, Observation
from core.errors import CloudError
from core.policies.base import HistoryItem, StepContext
from core.privacy.boundary import Boundary
from core.privacy.detector import PrivacyDetector
from core.privacy.secrets import Secrets
from core.routing.privacy import ApprovalRequest, Approver, PrivacyRouter
from core.routing.seats import OfflineSeat
from core.store.service import TrajectoryStore
from tests.support.anthropic_server import FakeAnthropic
from trainer.suites import reference_teacher

TASK = "practice/webmail-jamie-phone"  # its solver stops at once on these pages
EMAIL = "jennifer.alvarez@example.org"


@pytest.fixture(scope="module")
def cloud() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture(autouse=True)
def fresh(cloud: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    cloud.requests.clear()
    cloud.status, cloud.raw_reply = 200, None
    cloud.responder = lambda body: "REASON: The order link opens it.\nACTION: click [3]"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")


@pytest.fixture()
def store(tmp_path: Path) -> TrajectoryStore:
    return TrajectoryStore(tmp_path / "routing.db")


def router(detector: PrivacyDetector, store: TrajectoryStore, mode: str = "hybrid",
           url: str | None = None, approver: Approver | None = None,
           **config: object) -> PrivacyRouter:
    """build_router's composition (core.agent) with the teacher on the device."""
    agent = AgentConfig(mode=mode, cloud_url=url, **config)  # type: ignore[arg-type]
    agent.validate()
    routed = PrivacyRouter(local=reference_teacher(), large=cloud_seat(agent, store),
                           boundary=Boundary(detector, mode),  # type: ignore[arg-type]
                           approval=agent.approval,  # type: ignore[arg-type]
                           approver=approver,
                           fallback_local=agent.fallback_local, k=agent.k,
                           demonstrations=demonstrations(store))
    routed.start_episode(Secrets())
    return routed


def step(*elements: Element, intent: str = "Open the latest order",
         history: tuple[HistoryItem, ...] = ()) -> StepContext:
    page = Observation(url="http://127.0.0.1:9/orders.html", title="Orders",
                       elements=elements or (Element("2", "heading", "Your orders", 0),
                                             Element("3", "link", "Order A1007", 1)))
    return StepContext(intent=intent, observation=page, history=history, step=len(history),
                       task_id=TASK)


def statuses(store: TrajectoryStore) -> list[str]:
    return [str(row["status"]) for row in store.cloud_requests()]


# --- where the boundary keeps a step ---------------------------------------------------------

def test_a_clean_step_goes_to_the_cloud_and_is_audited_first(
        detector: PrivacyDetector, store: TrajectoryStore, cloud: FakeAnthropic) -> None:
    decision = router(detector, store, url=cloud.url).decide(step())
    assert decision.route == "cloud" and decision.action.to_text() == "click [3]"
    assert len(cloud.requests) == 1 and statuses(store) == ["ok"]
    [row] = store.cloud_requests()
    assert json.loads(str(row["payload"])) == cloud.requests[0].body


def test_a_finding_in_the_task_keeps_the_step_local(
        detector: PrivacyDetector, store: TrajectoryStore, cloud: FakeAnthropic) -> None:
    decision = router(detector, store, url=cloud.url).decide(
        step(intent=f"Send the latest order to {EMAIL}"))
    assert decision.route == "local"
    assert decision.why == "private data (EMAIL_ADDRESS) in the task, notes or history"
    assert cloud.requests == [] and statuses(store) == []


def test_a_finding_on_the_page_keeps_the_step_local(
        detector: PrivacyDetector, store: TrajectoryStore, cloud: FakeAnthropic) -> None:
    decision = router(detector, store, url=cloud.url).decide(step(
        Element("2", "heading", "Your orders", 0),
        Element("3", "StaticText", "Refund to IBAN GB82 WEST 1234 5698 7654 32", 1)))
    assert decision.route == "local" and decision.why == "private data (IBAN_CODE) in the page"
    assert cloud.requests == [] and statuses(store) == []


def test_a_finding_in_an_earlier_action_keeps_the_step_local(
        detector: PrivacyDetector, store: TrajectoryStore, cloud: FakeAnthropic) -> None:
    decision = router(detector, store, url=cloud.url).decide(
        step(history=(HistoryItem(Type("4", "Tr0ub4dor&3x")),)))
    assert decision.route == "local" and "PASSWORD" in decision.why
    assert cloud.requests == []


def test_private_data_in_the_clouds_action_is_decided_on_the_device_in_hybrid(
        detector: PrivacyDetector, store: TrajectoryStore, cloud: FakeAnthropic) -> None:
    """hybrid re-checks what the large seat proposes: it would type an address."""
    cloud.responder = lambda body: f"REASON: Fill it in.\nACTION: type [4] [{EMAIL}] [0]"
    decision = router(detector, store, url=cloud.url).decide(step(
        Element("2", "heading", "Your orders", 0), Element("4", "textbox", "Notify", 1)))
    assert decision.route == "local"
    assert decision.why == "private data in the large seat's action"
    assert statuses(store) == ["ok"]  # it was asked; its answer was not used


def test_hybrid_redact_sends_placeholders_and_restores_them_on_the_device(
        detector: PrivacyDetector, store: TrajectoryStore, cloud: FakeAnthropic) -> None:
    def fill(body: dict[str, object]) -> str:
        text = json.dumps(body)
        token = text[text.index("<EMAIL_"):text.index(">", text.index("<EMAIL_")) + 1]
        return f"REASON: Notify them.\nACTION: type [4] [{token}] [0]"

    cloud.responder = fill
    decision = router(detector, store, "hybrid-redact", url=cloud.url).decide(step(
        Element("2", "StaticText", f"Customer: {EMAIL}", 0),
        Element("4", "textbox", "Notify", 1)))
    assert decision.route == "cloud" and decision.redactions
    assert decision.action == Type("4", EMAIL)  # seen on this page: restored for it
    assert EMAIL not in cloud.all_payload_text()


def test_the_offline_seat_is_routed_like_the_cloud_and_sends_nothing(
        detector: PrivacyDetector, store: TrajectoryStore) -> None:
    routed = router(detector, store)
    routed.large = OfflineSeat(reference_teacher())
    assert routed.decide(step()).route == "cloud"
    assert routed.decide(step(intent=f"Mail {EMAIL}")).route == "local"
    assert statuses(store) == []


# --- approval --------------------------------------------------------------------------------

def test_a_denied_approval_keeps_the_step_local_and_sends_nothing(
        detector: PrivacyDetector, store: TrajectoryStore, cloud: FakeAnthropic,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI's approver with no terminal to ask on (as under pytest) says no."""
    from app.cli.config import cli_approver

    decision = router(detector, store, url=cloud.url, approval="always",
                      approver=cli_approver).decide(step())
    assert decision.route == "local" and decision.why == "the user denied the cloud request"
    assert cloud.requests == [] and statuses(store) == []
    assert "denied: no terminal" in capsys.readouterr().err


def test_no_approver_means_no_request(detector: PrivacyDetector, store: TrajectoryStore,
                                      cloud: FakeAnthropic) -> None:
    decision = router(detector, store, url=cloud.url, approval="always").decide(step())
    assert decision.route == "local" and decision.why == "no one to approve the cloud request"
    assert cloud.requests == [] and statuses(store) == []


def test_approval_shows_the_exact_payload_and_redacted_asks_only_when_redacted(
        detector: PrivacyDetector, store: TrajectoryStore, cloud: FakeAnthropic) -> None:
    asked: list[ApprovalRequest] = []

    def user_says_yes(request: ApprovalRequest) -> bool:
        asked.append(request)
        return True

    routed = router(detector, store, "hybrid-redact", url=cloud.url, approval="redacted",
                    approver=user_says_yes)
    assert routed.decide(step()).route == "cloud" and asked == []  # nothing redacted
    routed.decide(step(Element("2", "StaticText", f"Customer: {EMAIL}", 0),
                       Element("3", "link", "Order A1007", 1)))
    [request] = asked
    assert request.redactions and request.payload == cloud.requests[-1].body


# --- when the cloud fails --------------------------------------------------------------------

def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(("status", "audited", "said"), [
    (401, "auth", "the Anthropic API key was refused (401)"),
    (429, "rate_limited", "the cloud model is rate-limited (429)"),
    (500, "http_500", "the cloud model answered with an error (500)"),
    (503, "http_503", "the cloud model answered with an error (503)"),
    (None, "unreachable", "is unreachable: check the network or the base URL"),
])
def test_a_failing_cloud_falls_back_to_the_device(
        status: int | None, audited: str, said: str, detector: PrivacyDetector,
        store: TrajectoryStore, cloud: FakeAnthropic) -> None:
    url = cloud.url if status is not None else closed_port_url()
    cloud.status = status or 200
    routed = router(detector, store, url=url)
    decision = routed.decide(step())
    assert decision.route == "local" and decision.why.startswith("cloud failed: ")
    assert said in decision.why
    assert statuses(store) == [audited] and routed.stats.fallback == 1


@pytest.mark.parametrize("status", [401, 429, 500, None])
def test_without_fallback_a_failing_cloud_is_an_error(
        status: int | None, detector: PrivacyDetector, store: TrajectoryStore,
        cloud: FakeAnthropic) -> None:
    url = cloud.url if status is not None else closed_port_url()
    cloud.status = status or 200
    with pytest.raises(CloudError):
        router(detector, store, url=url, fallback_local=False).decide(step())
    assert len(statuses(store)) == 1 and statuses(store) != ["sending"]


def test_no_key_means_no_request_and_no_audit_row(
        detector: PrivacyDetector, store: TrajectoryStore, cloud: FakeAnthropic,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("SYMBIOTE_KEYRING", "plaintext")
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    ring = PlaintextKeyring()
    ring.file_path = str(store.path.with_name("keyring.cfg"))  # type: ignore[misc]
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    try:
        decision = router(detector, store, url=cloud.url).decide(step())
    finally:
        keyring.set_keyring(previous)
    assert decision.route == "local" and decision.why.startswith("cloud not configured: ")
    assert cloud.requests == [] and statuses(store) == []
