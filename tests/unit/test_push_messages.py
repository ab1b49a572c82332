"""The admin's end-of-push summary: what the office reads about chats that did not get the issue."""

from __future__ import annotations

import datetime as dt

from jobs.push_messages import FailedChat, Progress, summary_text


def progress(sent: int, failed: int, skipped: int) -> Progress:
    return Progress(total=sent + failed + skipped, sent=sent, pending=0, sending=0, failed=failed,
                    skipped=skipped, rate=0.0)


def test_summary_explains_telegram_reasons_in_chinese_and_keeps_the_original() -> None:
    failed = [FailedChat(-1001, "宣传群", "Bad Gateway (gave up after 5 attempts)"),
              FailedChat(-1002, None, "Bad Request: message thread not found")]
    skipped = [FailedChat(42, "钱多多", "Forbidden: bot was blocked by the user"),
               FailedChat(43, None, "Forbidden: user is deactivated"),
               FailedChat(-1003, "档案群", "Forbidden: bot was kicked from the supergroup chat"),
               FailedChat(44, None, "Bad Request: chat not found")]
    text = summary_text("2024年第6期（总第58期）", 7, progress(10, 2, 4), failed, skipped,
                        dt.timedelta(seconds=12)).text
    assert "• 宣传群（-1001）：多次重试仍未送达（Bad Gateway (gave up after 5 attempts)）" in text
    # An unknown reason is shown as Telegram gave it, not guessed at.
    assert "• -1002：Bad Request: message thread not found" in text
    assert "• 钱多多（42）：对方已屏蔽机器人（Forbidden: bot was blocked by the user）" in text
    assert "• 43：对方的 Telegram 账号已注销（Forbidden: user is deactivated）" in text
    assert "• 档案群（-1003）：机器人已被移出该群组或频道（Forbidden: bot was kicked from the supergroup chat）" in text
    assert "• 44：找不到该会话（Bad Request: chat not found）" in text
    assert "bulletin-bot resend 7 --failed" in text


def test_summary_without_failures_has_no_resend_button() -> None:
    rendered = summary_text("2024年第6期", 7, progress(3, 0, 0), [], [], dt.timedelta(seconds=1))
    assert rendered.text.startswith("✅ <b>推送完成</b>")
    assert "已送达 3/3 · 失败 0 · 跳过 0" in rendered.text
    assert rendered.keyboard == ()


def test_summary_in_english_reads_from_the_english_catalog() -> None:
    rendered = summary_text("2024 No. 6", 7, progress(8, 1, 1), [FailedChat(5, "Group", "Forbidden: bot was kicked")],
                            [FailedChat(6, None, "Forbidden: bot was blocked by the user")],
                            dt.timedelta(seconds=75), lang="en")
    assert rendered.text.split("\n") == [
        "⚠️ <b>Push finished, with failures</b> 2024 No. 6",
        "Delivered 8/10 · failed 1 · skipped 1 · took 1 min 15 s",
        "",
        "<b>Not delivered:</b>",
        "• Group (5): the bot was removed from the group or channel (Forbidden: bot was kicked)",
        "",
        "<b>Deactivated (the user blocked the bot, or the group is gone):</b>",
        "• 6: the user blocked the bot (Forbidden: bot was blocked by the user)",
        "",
        "Press the button below or run <code>bulletin-bot resend 7 --failed</code> to resend.",
    ]
    assert [b.label for row in rendered.keyboard for b in row] == ["🔁 Resend to the failed chats"]
