"""`bulletin-bot sandbox --script`: the offline demo, run through the real entry point."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bulletin_bot import sandbox

ROOT = Path(__file__).resolve().parents[2]


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
    # /latest shows the newest issue of each publication; a number presses a button of the last message.
    first_button = latest.rsplit("   [1] ", 1)[1].split("\n", 1)[0]  # e.g. "1. 标题"
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
    # --guest: the sandbox user is otherwise the admin, who is not refused.
    result = run_sandbox(tmp_path, ["/help", "/admin"], "--guest")
    assert result.returncode == 0, result.stderr
    after = result.stdout.split("你 > /admin", 1)[1]
    assert "── 机器人 ─────────\n抱歉，此功能仅限管理员使用。" in after


_HEADER = re.compile(r"── 机器人(（已编辑）)? ─────────\n")
_SUMMARY = re.compile(r"✅ 推送完成 .+\n已送达 (\d+)/(\d+) · 失败 (\d+) · 跳过 (\d+) · 用时 (\d+)秒")
_OUTCOME = re.compile(r"（推送 #(\d+) 结束：共 (\d+) 个会话，已送达 (\d+)，失败 (\d+)，跳过 (\d+)，用时 ([0-9.]+) 秒）")


def bot_messages(section: str) -> list[tuple[bool, str]]:
    """(edited, text) of each bot message shown in SECTION of the transcript, in order."""
    parts = _HEADER.split(section)
    # re.split with one group: [before, group, text, group, text, ...]
    return [(parts[i] is not None, parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def test_push_reaches_the_user_and_the_admin_summary_agrees_with_the_sandbox_line(tmp_path: Path) -> None:
    result = run_sandbox(tmp_path, ["push", "推送", "quit"])
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    out = result.stdout
    assert "输入 push（或 推送）" in out.split("你 > push", 1)[0]  # the banner offers it
    push = out.split("你 > push", 1)[1].split("你 > 推送", 1)[0]
    messages = bot_messages(push)

    # The pushed contents message arrives in the user's own chat, with its 要目 and the 已阅 button.
    contents = [text for edited, text in messages if "\n要目\n" in text]
    assert len(contents) == 1, push
    assert "\n1. " in contents[0] and "✅ 已阅" in contents[0]

    # The admin's progress message: sent at the start, then edited in place up to 100%.
    progress = [(edited, text) for edited, text in messages if text.startswith("📤 正在推送")]
    assert progress and not progress[0][0] and progress[-1][0], push
    assert "（100%）" in progress[-1][1]

    # The admin's summary: every simulated subscriber and the user reached, the one who blocked the bot skipped
    # and named with the reason.
    summary = _SUMMARY.search(push)
    assert summary is not None, push
    sent, total, failed, skipped, summary_seconds = (int(g) for g in summary.groups())
    assert (sent, failed, skipped) == (sandbox.SIMULATED_SUBSCRIBERS + 1, 0, 1)
    assert total == sent + failed + skipped
    blocked = push[summary.end():]
    assert "已停用" in blocked
    assert f"（{sandbox.BLOCKED_USER_ID}）：" in blocked and "blocked by the user" in blocked

    # The sandbox's own line comes after the summary and says the same, from the ledger.
    outcome = _OUTCOME.search(push)
    assert outcome is not None and outcome.start() > summary.end(), push
    push_id, o_total, o_sent, o_failed, o_skipped = (int(g) for g in outcome.groups()[:5])
    assert (o_total, o_sent, o_failed, o_skipped) == (total, sent, failed, skipped)
    seconds = float(outcome[6])
    # At 30 messages a second the push cannot be quicker than this; the summary rounds to whole seconds.
    assert seconds >= (total - 30) / 30
    assert abs(seconds - summary_seconds) <= 2

    # A second push of the same issue is refused in words, and nothing is sent again.
    again = out.split("你 > 推送", 1)[1].split("你 > quit", 1)[0]
    assert f"（这一期已经推送过了（推送 #{push_id}）" in again
    assert "── 机器人" not in again


def test_push_in_english_sends_the_english_contents(tmp_path: Path) -> None:
    result = run_sandbox(tmp_path, ["push"], "--lang", "en")
    assert result.returncode == 0, result.stderr
    push = result.stdout.split("你 > push", 1)[1]
    contents = [text for _edited, text in bot_messages(push) if "\nContents\n" in text]
    assert len(contents) == 1 and "✅ Read" in contents[0], push
    outcome = _OUTCOME.search(push)
    summary = _SUMMARY.search(push)
    assert outcome is not None and summary is not None, push
    assert outcome[3] == summary[1] == str(sandbox.SIMULATED_SUBSCRIBERS + 1)


def test_the_admin_gets_the_admin_commands_right_after_another_reply(tmp_path: Path) -> None:
    # The sandbox user is the admin: /admin answers (after waiting out the 1 message/s per chat limit).
    result = run_sandbox(tmp_path, ["/help", "/admin"])
    assert result.returncode == 0, result.stderr
    after = result.stdout.split("你 > /admin", 1)[1]
    assert "── 机器人 ─────────\n管理员命令：" in after
    assert "/export" in after


def test_sandbox_archive_has_two_publications_to_page_filter_and_choose(tmp_path: Path) -> None:
    result = run_sandbox(tmp_path, ["/issues", "/issue 2024-3", "/settings"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    listing = out.split("你 > /issues", 1)[1].split("你 > /issue 2024-3", 1)[0]
    # 13 issues of two publications: a second page, and the publication filter.
    assert "共13期" in listing and "第1/2页" in listing
    for label in ("· 全部", "简报", "专报"):
        assert re.search(rf"\[\d+\] {re.escape(label)}\n", listing), label
    ambiguous = out.split("你 > /issue 2024-3", 1)[1].split("你 > /settings", 1)[0]
    assert "2024-3 对应多种刊物的期次" in ambiguous
    assert "简报 2024年第3期" in ambiguous and "专报 2024年第3期" in ambiguous
    settings = out.split("你 > /settings", 1)[1]
    assert "✅ 简报" in settings and "✅ 专报" in settings
