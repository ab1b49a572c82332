"""`bulletin-bot sandbox --script`: the offline demo, run through the real entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_sandbox(tmp_path: Path, lines: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}  # no config at all
    return subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", "sandbox", "--script", str(script), *extra],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env, check=False,
    )


def test_sandbox_script_shows_latest_contents_search_hit_and_an_opened_article(tmp_path: Path) -> None:
    result = run_sandbox(tmp_path, ["/latest", "1", "/search 景区", "#1", "quit", "/help"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out  # not a terminal: no ANSI codes
    # /latest: the contents message with its 要目 and numbered buttons
    latest = out.split("你 > /latest", 1)[1].split("你 > 1", 1)[0]
    assert "要目" in latest and "\n1. " in latest
    assert "   [1] 1. " in latest
    first_button = latest.split("   [1] ", 1)[1].split("\n", 1)[0]  # e.g. "1. 标题"
    # pressing button 1 opens that article: its title heads the next bot message
    opened = out.split("你 > 1", 1)[1].split("你 > /search", 1)[0]
    assert "按下按钮 [1]" in opened
    title_start = first_button.split(". ", 1)[1].rstrip("…")
    assert f"── 机器人 ─────────\n{title_start}" in opened
    # /search 景区: at least one hit, with a button that opens the article containing it
    search = out.split("你 > /search 景区", 1)[1].split("你 > #1", 1)[0]
    assert "搜索“景区”：共" in search and "   [1] 1. " in search
    hit = out.split("你 > #1", 1)[1].split("你 > quit", 1)[0]
    assert "景区" in hit
    assert "目录" in hit  # the article's navigation buttons
    # "quit" ends the session: nothing after it is played
    assert "你 > /help" not in out


def test_sandbox_missing_script_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", "sandbox", "--script", str(tmp_path / "nope.txt")],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False,
    )
    assert result.returncode == 2
    assert "no such script file" in result.stderr


@pytest.mark.parametrize("lang", ["en"])
def test_sandbox_in_english(tmp_path: Path, lang: str) -> None:
    result = run_sandbox(tmp_path, ["/help"], "--lang", lang)
    assert result.returncode == 0, result.stderr
    assert "Commands" in result.stdout and "/search 景区" in result.stdout


def test_an_admin_command_right_after_another_reply_is_refused_not_lost(tmp_path: Path) -> None:
    # The sandbox keeps Telegram's 1 message/s per chat: the refusal must wait out the 429, not vanish.
    result = run_sandbox(tmp_path, ["/help", "/admin"])
    assert result.returncode == 0, result.stderr
    after = result.stdout.split("你 > /admin", 1)[1]
    assert "── 机器人 ─────────\n抱歉，此功能仅限管理员使用。" in after
