"""The pure parts of the lookups: snippets with their bold ranges, synonyms, what to try after a search without
hits, /help's examples, the relabelled 已阅 button and the [search] config."""

from __future__ import annotations

import pytest
from support.issues import make_issue
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.features.reading import help_examples, help_text, related_synonyms, try_instead
from bot.features.receipts import acknowledged_markup
from bulletin.render import highlighted
from config import ConfigError, config_from_mapping
from storage.archive import StoredIssue
from storage.search import snippet
from storage.textindex import fts5_match, query_groups, synonym_table, tsquery, widen


def test_a_snippet_marks_every_occurrence_of_every_word_inside_it() -> None:
    body = "前言。" * 10 + "景区安全检查，景区ＡＢ类项目。" + "后记。" * 10
    text, marks = snippet(body, ["景区", "ab"])
    assert text.startswith("…") and text.endswith("…")
    assert [text[lo:hi] for lo, hi in marks] == ["景区", "景区ＡＢ"]  # touching hits merge; folded width matches
    assert highlighted(text, marks).count("<b>") == 2


def test_snippet_marks_are_escaped_and_capped() -> None:
    text, marks = snippet("<a&b>" * 30, ["a&b"])
    assert len(marks) == 12
    html = highlighted(text, marks)
    assert "<b>a&amp;b</b>" in html and "<a" not in html.replace("<b>", "")


def test_synonyms_are_groups_joined_where_they_share_a_word() -> None:
    table = synonym_table([["固废", "固体废物"], ["河长", "河湖长"], ["河湖长", "湖长"]])
    assert table["固废"] == table["固体废物"] == ("固废", "固体废物")
    assert table["湖长"] == ("河长", "河湖长", "湖长")
    assert widen("河长制", table) == ("河长制", "河湖长制", "湖长制")
    assert widen("ＸＹ", table) == ("ＸＹ",)
    groups = query_groups("固废 排查", table)
    assert groups == [("固废", "固体废物"), ("排查",)]
    assert fts5_match(groups) == '("固废" OR "固体 体废 废物") AND "排查"'
    assert tsquery(groups) == "(('固废') | ('固体' & '体废' & '废物')) & '排查'"


def test_what_to_try_after_a_search_without_hits() -> None:
    assert try_instead("景区河长巡查") == ["景区", "巡查"]
    assert try_instead("景区 火星") == ["景区", "火星"]
    assert try_instead("景区") == []
    table = synonym_table([["固废", "固体废物"], ["河长", "河湖长"]])
    assert related_synonyms("河道", table) == [("河长", "河湖长")]
    assert related_synonyms("景区", table) == []


def test_help_examples_come_from_the_newest_issue() -> None:
    issue = make_issue(3, articles=[("第3期全县景区工作", ["正文。"]), ("第二篇", ["正文。"])])
    examples = help_examples(StoredIssue(7, issue))
    assert examples is not None
    assert (examples.issue, examples.position, examples.word) == ("2024-3", 2, "工作")
    single = help_examples(StoredIssue(8, make_issue(None, date=make_issue(1).date, articles=[("汛情", ["x"])])))
    assert single is not None and (single.issue, single.position, single.word) == (
        make_issue(1).date.isoformat(), 1, "汛情",  # type: ignore[union-attr]
    )
    assert help_examples(None) is None
    assert "/issue 2024-3（最新一期）" in help_text("zh", examples)
    assert "例如 /issue" in help_text("zh", None) and "还没有简报" in help_text("zh", None)


def test_the_ack_button_alone_is_relabelled() -> None:
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton("1. 标题", callback_data="1:a:7:1")],
        [InlineKeyboardButton("« 上一期", callback_data="1:c:6"),
         InlineKeyboardButton("✅ 已阅", callback_data="1:k:7")],
    ])
    changed = acknowledged_markup(markup, "✅ 已阅（已记录）")
    assert changed is not None
    relabelled = [[b.text for b in row] for row in changed.inline_keyboard]
    assert relabelled == [["1. 标题"], ["« 上一期", "✅ 已阅（已记录）"]]
    assert changed.inline_keyboard[1][1].callback_data == "1:k:7"
    assert acknowledged_markup(changed, "✅ 已阅（已记录）") is None  # nothing left to change
    assert acknowledged_markup(None, "x") is None


@pytest.mark.parametrize(("synonyms", "message"), [
    ([["固废"]], "search.synonyms[0]: a group lists 2 to 8 words"),
    ([["固废", "固 废"]], "search.synonyms[0][1]: a word of 1 to 20 characters without spaces"),
    ([["固废", "，。"]], "search.synonyms[0][1]: '，。' has no letter or digit"),
    ("固废", "search.synonyms: expected a list"),
])
def test_search_synonyms_are_checked_at_load(synonyms: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        config_from_mapping({"search": {"synonyms": synonyms}}, env={})
    assert config_from_mapping({"search": {"synonyms": [["固废", "固体废物"]]}}, env={}).search.synonyms == (
        ("固废", "固体废物"),
    )
