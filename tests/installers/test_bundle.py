"""The desktop bundle end to end: install the tarball into a scratch HOME with install.sh, start
the bundled app offscreen (`symbiote smoke`: the real main window, a real episode on SmolLM2 in
Chromium), and check that everything it wrote is in the user data dir, never in the bundle.

Uses dist/symbiote-*-linux-x86_64.tar.gz, rebuilt with installers/bundle.sh when it is missing
or older than the sources (a few minutes); SYMBIOTE_BUNDLE_TARBALL names another tarball.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from core.store.service import TrajectoryStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the bundle is Linux x86-64"),
]

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("core", "app", "trainer", "resources", "installers", "pyproject.toml")
TASK = "practice/webmail-logout"


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()
                                               and "__pycache__" not in p.parts]
        newest = max([newest, *(p.stat().st_mtime for p in files)])
    return newest


@pytest.fixture(scope="module")
def tarball() -> Path:
    explicit = os.environ.get("SYMBIOTE_BUNDLE_TARBALL")
    if explicit:
        return Path(explicit)
    found = sorted((ROOT / "dist").glob("symbiote-*-linux-x86_64.tar.gz"))
    if not found or found[-1].stat().st_mtime < _newest_source_mtime():
        subprocess.run(["bash", str(ROOT / "installers" / "bundle.sh")], check=True,
                       timeout=3600)
        found = sorted((ROOT / "dist").glob("symbiote-*-linux-x86_64.tar.gz"))
    assert found, "installers/bundle.sh made no tarball"
    return found[-1]


@pytest.fixture(scope="module")
def installed(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tarball unpacked and installed with its install.sh into a scratch HOME."""
    base = tmp_path_factory.mktemp("bundle")
    with tarfile.open(tarball) as tar:
        tar.extractall(base / "unpacked", filter="tar")
    (folder,) = (base / "unpacked").iterdir()
    home = base / "home"
    home.mkdir()
    _install(folder, home)
    return {"folder": folder, "home": home, "prefix": home / ".local",
            "app": home / ".local" / "lib" / "symbiote", "data": base / "data"}


def _install(folder: Path, home: Path, *args: str) -> str:
    result = subprocess.run(["bash", str(folder / "install.sh"), *args], env=_env(home),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _env(home: Path, data: Path | None = None) -> dict[str, str]:
    """A user's environment: no venv, no project on the path, a scratch HOME."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "SYMBIOTE_"))}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", SYMBIOTE_KEYRING="plaintext")
    env.pop("XDG_DATA_HOME", None)
    if data is not None:
        env["SYMBIOTE_HOME"] = str(data)
    return env


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def test_install_layout(installed: dict[str, Path]) -> None:
    prefix = installed["prefix"]
    launcher = prefix / "bin" / "symbiote"
    assert launcher.is_symlink() and launcher.resolve() == installed["app"] / "symbiote"
    entry = (prefix / "share" / "applications" / "symbiote.desktop").read_text()
    assert f'Exec="{installed["app"] / "symbiote"}" app' in entry
    assert "Icon=symbiote" in entry
    assert (prefix / "share" / "icons" / "hicolor" / "256x256" / "apps" / "symbiote.png").is_file()


def test_bundled_app_runs_a_practice_task_and_keeps_data_outside(
        installed: dict[str, Path]) -> None:
    data, app = installed["data"], installed["app"]
    launcher = installed["prefix"] / "bin" / "symbiote"
    program_before = _snapshot(app)
    result = subprocess.run([str(launcher), "smoke", "--task", TASK],
                            env=_env(installed["home"], data), cwd=installed["home"],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "window shown" in result.stdout
    assert "] step 1: on-device" in result.stdout

    db = data / "symbiote.db"
    store = TrajectoryStore(db)
    try:
        (episode_id,) = store.episode_ids()
        episode = store.episode(episode_id)
    finally:
        store.close()
    assert episode.task_id == TASK
    assert episode.mode == "local"
    assert episode.outcome in ("success", "failure")
    assert episode.steps
    assert "smollm2" in episode.policy
    assert _snapshot(app) == program_before, "the bundle wrote into its own folder"
    assert not (installed["home"] / ".local" / "share" / "symbiote").exists()

    # Upgrading (install.sh again) and uninstalling replace the program, never the data.
    before = db.read_bytes()
    _install(installed["folder"], installed["home"])
    assert db.read_bytes() == before
    _install(installed["folder"], installed["home"], "--uninstall")
    assert not app.exists() and db.read_bytes() == before
    _install(installed["folder"], installed["home"])


def test_research_commands_and_knowledge_base_say_they_are_left_out(
        installed: dict[str, Path], tmp_path: Path) -> None:
    exe, env = installed["app"] / "symbiote", _env(installed["home"], tmp_path / "data")
    for args, expected in ((["train", "--out", "x"], "needs the trainer"),
                           (["smoke", "--kb"], "knowledge base is not included")):
        result = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="hiding Chromium needs a private mount namespace (root + unshare)")
def test_missing_chromium_is_named_in_the_window(installed: dict[str, Path],
                                                tmp_path: Path) -> None:
    """/usr/bin is hidden behind an empty tmpfs in a private mount namespace: the bundled app
    must say which browser it needs, not crash."""
    exe = installed["app"] / "symbiote"
    env = _env(installed["home"], tmp_path / "data")
    env["PATH"] = "/nonexistent"  # and no other chromium on the PATH either
    script = f'/usr/bin/mount -t tmpfs none /usr/bin && exec "{exe}" smoke --task {TASK}'
    result = subprocess.run([str(shutil.which("unshare")), "-m", "/bin/sh", "-c", script], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "window shown" in result.stdout
    assert "Chromium was not found" in result.stderr
