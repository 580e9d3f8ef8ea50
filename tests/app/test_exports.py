"""`symbiote export --format trl|preference` and `symbiote models export --ollama`, through
the CLI on a real SQLite store: the datasets load with `datasets.load_from_disk`, every row
validates, the boundary redacted them, and the Modelfile names files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import datasets
import pytest

from app.cli.main import main
from core.store.datasets_export import PreferenceRow, SftRow
from core.store.service import TrajectoryStore
from core.store.views import StepRecord

EMAIL = "jamie.rivera@mail.example"
OBSERVATION = (f"URL: http://127.0.0.1:8800/webmail/inbox.html\n[1] link 'Inbox'\n"
               f"[2] StaticText 'Reply to {EMAIL}'\n[3] button 'Send'")


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SYMBIOTE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    path = tmp_path / "x.db"
    store = TrajectoryStore(path)
    agent = store.start_episode(task_id="practice/webmail-login", intent="Open the inbox.",
                                start_url="http://127.0.0.1:8800/webmail/", mode="local",
                                policy="local:test", source="teacher")
    store.add_step(agent, StepRecord(idx=0, url="http://127.0.0.1:8800/webmail/",
                                     observation=OBSERVATION, action="click [1]",
                                     rationale="The inbox link."))
    store.add_step(agent, StepRecord(idx=1, url="http://127.0.0.1:8800/webmail/",
                                     observation=OBSERVATION, action="stop []",
                                     rationale="Done.", prompt_history=["click [1]"]))
    store.finish_episode(agent, outcome="success", reward=1.0)
    spec = store.start_episode(task_id="practice/webmail-reply", intent="Press send.",
                               start_url="http://127.0.0.1:8800/webmail/", mode="cloud",
                               policy="speculative(local|teacher,k=3)", source="speculative")
    small = {"action": "click [1]", "rationale": "Open the inbox.", "score": -1.0,
             "source": "local:test"}
    large = {"action": "click [3]", "rationale": "Send it.", "score": 0.0, "source": "teacher"}
    store.add_step(spec, StepRecord(idx=0, url="u", observation=OBSERVATION,
                                    action="click [3]", rationale="Send it.", route="cloud",
                                    candidates=[small, large]))           # overridden
    store.add_step(spec, StepRecord(idx=1, url="u", observation=OBSERVATION, action="stop []",
                                    rationale="Sent.", route="cloud",
                                    candidates=[{**small, "action": "stop []"},
                                                {**large, "action": "stop []"}]))  # accepted
    store.finish_episode(spec, outcome="success", reward=1.0)
    store.close()
    return path


def test_trl_export_loads_and_validates(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "trl"
    assert main(["export", "--format", "trl", "--out", str(out), "--db", str(db)]) == 0
    dataset = datasets.load_from_disk(str(out))
    assert len(dataset) == 4
    rows = [SftRow.model_validate(r) for r in dataset]
    assert [m.role for m in rows[0].messages] == ["system", "user", "assistant"]
    assert rows[0].messages[2].content == "REASON: The inbox link.\nACTION: click [1]"
    assert "PREVIOUS ACTIONS:\nclick [1]" in rows[1].messages[1].content
    text = "\n".join(m.content for r in rows for m in r.messages)
    assert EMAIL not in text and re.search(r"<EMAIL_[0-9A-Z]{4}>", text)  # the boundary's
    parquet = datasets.load_dataset("parquet", data_files=str(out / "data" / "train.parquet"))
    assert parquet["train"].num_rows == 4
    card = (out / "README.md").read_text()
    assert card.startswith("---\nconfigs:") and "path: data/train.parquet" in card
    assert "x.db" in card and '"speculative": 1' in card and "redacted" in card


def test_preference_export_pairs_the_overridden_step(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pref"
    assert main(["export", "--format", "preference", "--out", str(out), "--db", str(db)]) == 0
    rows = [PreferenceRow.model_validate(r) for r in datasets.load_from_disk(str(out))]
    assert len(rows) == 1  # the accepted step and the teacher's episode have no pair
    [row] = rows
    assert row.chosen[0].content == "REASON: Send it.\nACTION: click [3]"
    assert row.rejected[0].content == "REASON: Open the inbox.\nACTION: click [1]"
    assert [m.role for m in row.prompt] == ["system", "user"]
    assert EMAIL not in row.prompt[1].content


def test_export_refuses_a_folder_that_is_not_empty(db: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["export", "--format", "trl", "--out", str(out), "--db", str(db)]) == 2
    assert "is not empty" in capsys.readouterr().err


def test_ollama_modelfile_names_files_that_exist(tmp_path: Path) -> None:
    out = tmp_path / "ollama"
    assert main(["models", "export", "smollm2-symbiote-v4", "--ollama", str(out)]) == 0
    text = (out / "Modelfile").read_text()
    named = re.findall(r"^(FROM|ADAPTER) (\S+)$", text, re.M)
    assert [kind for kind, _ in named] == ["FROM", "ADAPTER"]
    for _, name in named:
        assert (out / name).is_file() and (out / name).stat().st_size > 1000
    assert (out / named[0][1]).read_bytes()[:4] == b"GGUF"
    assert "<|im_start|>assistant" in text and 'PARAMETER stop "<|im_end|>"' in text
