"""deploy/: the systemd unit is one systemd accepts, and runs the command that exists; config and data stay out
of git."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "bulletin-bot.service"
INSTALLED = "/opt/bulletin-bot/.venv/bin/bulletin-bot"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed here (Debian: apt-get install systemd): unit not verified")
def test_the_systemd_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    text = UNIT.read_text(encoding="utf-8")
    assert f"ExecStart={INSTALLED} run\n" in text
    # The unit names the installed path; verify it against this checkout's entry point, which must exist.
    entry = Path(sys.executable).parent / "bulletin-bot"
    assert entry.exists()
    unit = tmp_path / "bulletin-bot.service"
    unit.write_text(text.replace(INSTALLED, str(entry)), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60,
                            check=False)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "")


def test_systemd_analyze_would_catch_a_broken_unit(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here (Debian: apt-get install systemd)")
    unit = tmp_path / "bulletin-bot.service"
    entry = Path(sys.executable).parent / "bulletin-bot"
    text = UNIT.read_text(encoding="utf-8").replace(INSTALLED, str(entry))
    unit.write_text(text.replace("Restart=on-failure", "Restart=sometimes"), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60,
                            check=False)
    assert "Failed to parse service restart specifier, ignoring: sometimes" in result.stderr


def test_the_config_and_the_database_are_ignored_by_git(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = ["config.toml", "bulletin-bot.sqlite3", "bulletin-bot.sqlite3-wal", "bulletin-bot.sqlite3.lock",
             "bulletin-bot.sqlite3.before-restore-20261203-101500"]
    result = subprocess.run(["git", "check-ignore", "--no-index", *names], cwd=ROOT, capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.stdout.split() == names
