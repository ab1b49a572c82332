"""Rendering of the contents message and article messages, and the splitter behind them."""

from __future__ import annotations

import datetime as dt
import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from support import issues

from bot.callbacks import OpenArticle, ShowContents, parse_callback
from bulletin import i18n
from bulletin.model import Article, Issue, TocEntry
from bulletin.render import (
    MAX_MESSAGE_UTF16,
    article_plain_text,
    render_article,
    render_contents,
    split_html,
    split_lines,
    split_plain,
    utf16_len,
    visible_text,
)
from jobs.marks import with_internal_mark
from localbotapi.tghtml import parse_html

_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "tg-spoiler"}
_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)>|&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);|[<>&]")


def telegram_html_to_text(markup: str) -> str:
    """Strict reading of Telegram's HTML subset (attribute-free tags): the visible text, or AssertionError."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(markup):
        out.append(markup[pos : m.start()])
        pos = m.end()
        closing, tag, entity = m.group(1), m.group(2), m.group(3)
        if tag is not None:
            assert tag in _ALLOWED_TAGS, f"unsupported tag {tag!r}"
            if closing:
                assert stack and stack[-1] == tag, f"unexpected end tag {tag!r}"
                stack.pop()
            else:
                stack.append(tag)
        elif entity is not None:
            out.append(html.unescape(m.group(0)))
        else:
            raise AssertionError(f"unescaped {m.group(0)!r} at {m.start()}")
    out.append(markup[pos:])
    assert not stack, f"unclosed tags {stack}"
    return "".join(out)


def make_issue(articles: tuple[Article, ...], *, toc: tuple[TocEntry, ...] = ()) -> Issue:
    """Issue 3 of 2024 (总第57期) with these ARTICLES and contents TOC, no footer."""
    return issues.make_issue(3, total=57, masthead="某市工作简报", publisher="某市人民政府办公室",
                             date=dt.date(2024, 3, 18), articles=articles, toc=toc, footer=())


ISSUE = make_issue(
    (
        Article("全市旅游景区安全检查启动", ("市文旅局近日部署<春季>景区安全检查。", "重点检查A&B两类项目。")),
        Article("某区推进“放管服”改革", ("某区简化审批流程。",)),
        Article("基层来信", ("一位网格员的来信。",)),
    ),
    toc=(
        TocEntry("全市旅游景区安全检查启动", "工作动态"),
        TocEntry("某区推进“放管服”改革", "工作动态"),
        TocEntry("基层来信", "基层信息"),
    ),
)


def test_contents_message_shows_masthead_issue_line_date_publisher_and_numbered_entries() -> None:
    r = render_contents(7, ISSUE, lang="zh", previous_issue_id=6)
    assert telegram_html_to_text(r.text) == (
        "某市工作简报\n2024年第3期（总第57期）\n2024年3月18日　某市人民政府办公室\n\n要目\n"
        "【工作动态】\n1. 全市旅游景区安全检查启动\n2. 某区推进“放管服”改革\n【基层信息】\n3. 基层来信"
    )
    assert r.text.startswith("<b>某市工作简报</b>\n")


def test_contents_message_has_a_button_per_article_and_one_for_the_previous_issue() -> None:
    r = render_contents(7, ISSUE, lang="zh", previous_issue_id=6)
    buttons = [b for row in r.keyboard for b in row]
    assert [b.label for b in buttons] == [
        "1. 全市旅游景区安全检查启动", "2. 某区推进“放管服”改革", "3. 基层来信", "« 上一期"
    ]
    assert [parse_callback(b.callback_data) for b in buttons] == [
        OpenArticle(7, 1), OpenArticle(7, 2), OpenArticle(7, 3), ShowContents(6)
    ]


def test_contents_message_without_previous_issue_has_no_previous_button_and_english_labels() -> None:
    r = render_contents(7, ISSUE, lang="en", previous_issue_id=None)
    text = telegram_html_to_text(r.text)
    assert "2024 No. 3 (No. 57 overall)" in text
    assert "18 March 2024 · 某市人民政府办公室" in text
    assert "\nContents\n" in text
    assert all("Previous" not in b.label for row in r.keyboard for b in row)


def test_contents_without_toc_lists_the_article_titles() -> None:
    issue = make_issue((Article("甲", ("x",)), Article("乙", ("y",))))
    text = telegram_html_to_text(render_contents(1, issue, lang="zh", previous_issue_id=None).text)
    assert text.endswith("要目\n1. 甲\n2. 乙")


def test_contents_with_a_huge_toc_stays_within_the_limit_and_says_how_many_were_left_out() -> None:
    articles = tuple(Article(f"第{i}篇：" + "很长的标题" * 20, ("x",)) for i in range(1, 121))
    r = render_contents(1, make_issue(articles), lang="zh", previous_issue_id=None)
    text = telegram_html_to_text(r.text)
    assert utf16_len(text) <= MAX_MESSAGE_UTF16
    assert re.search(r"另有\d+篇", text)
    assert sum(len(row) for row in r.keyboard) <= 100



def test_an_internal_mark_on_a_cut_contents_message_still_fits() -> None:
    # Entries of every length from 2 to 40 characters, so that some cut lands right at the limit.
    for size in range(2, 41):
        articles = tuple(Article("标" * size, ("x",)) for _ in range(4300 // (size + 5) + 5))
        for lang in ("zh", "en"):
            contents = render_contents(1, make_issue(articles), lang=lang, previous_issue_id=None)
            marked = telegram_html_to_text(with_internal_mark(contents, lang).text)
            assert utf16_len(marked) <= MAX_MESSAGE_UTF16, (size, lang)


def test_article_message_has_bold_title_escaped_paragraphs_and_navigation() -> None:
    [r] = render_article(7, ISSUE, 2, lang="zh")
    assert r.text == "<b>某区推进“放管服”改革</b>\n\n某区简化审批流程。"
    [first] = render_article(7, ISSUE, 1, lang="zh")
    assert first.text == (
        "<b>全市旅游景区安全检查启动</b>\n\n市文旅局近日部署&lt;春季&gt;景区安全检查。\n\n重点检查A&amp;B两类项目。"
    )
    labels = [[(b.label, parse_callback(b.callback_data)) for b in row] for row in r.keyboard]
    assert labels == [
        [("‹ 上一篇", OpenArticle(7, 1)), ("下一篇 ›", OpenArticle(7, 3))],
        [("目录", ShowContents(7))],
    ]
    first_labels = [b.label for row in first.keyboard for b in row]
    assert first_labels == ["下一篇 ›", "目录"]


def test_long_article_splits_at_paragraphs_and_only_the_last_part_has_buttons() -> None:
    paragraphs = tuple(f"第{i}段。" + "内容" * 900 for i in range(1, 6))
    parts = render_article(1, make_issue((Article("长文", paragraphs),)), 1, lang="zh")
    assert len(parts) > 1
    assert all(p.keyboard == () for p in parts[:-1]) and parts[-1].keyboard
    texts = [telegram_html_to_text(p.text) for p in parts]
    # every cut falls at a paragraph boundary: each later part starts with a paragraph's beginning
    assert all(t.startswith("第") for t in texts[1:])
    assert "".join(texts) == article_plain_text("长文", paragraphs)[0]


def test_a_paragraph_longer_than_a_message_splits_after_sentence_ends() -> None:
    paragraph = "".join(f"这是第{i}句话，内容较长。" for i in range(800))
    pieces = split_plain(paragraph)
    assert len(pieces) > 1
    assert all(p.endswith("。") for p in pieces[:-1])
    assert "".join(pieces) == paragraph


def test_text_with_no_break_opportunity_is_hard_split_without_breaking_astral_characters() -> None:
    text = "😀" * 3000  # 2 UTF-16 units each
    pieces = split_plain(text)
    assert [utf16_len(p) for p in pieces] == [4096, 1904]
    assert "".join(pieces) == text


def test_a_bold_title_crossing_a_cut_is_closed_and_reopened() -> None:
    parts = split_html("标题很长很长", bold=[(0, 6)], limit=4)
    assert parts == ["<b>标题很长</b>", "<b>很长</b>"]


def test_every_string_exists_in_both_languages_and_language_choice() -> None:
    # Every key in the zh_CN and en catalogs, same placeholders, no markup, nothing left in a Python dict.
    assert i18n.catalog_problems() == []
    assert i18n.has_all_languages()
    assert i18n.lang_of("en-US") == "en" and i18n.lang_of("EN") == "en"
    assert i18n.lang_of("zh-hans") == "zh" and i18n.lang_of(None) == "zh" and i18n.lang_of("de") == "zh"


_chinese = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_specials = st.sampled_from([*'<>&"\'。！？；，”」 \n', "&amp;", "<b>", "</b>", "&lt;"])
_astral = st.sampled_from(["😀", "👍🏽", "👨‍👩‍👧", "𠀋", "🇨🇳", "1️⃣", "é"])
_token = st.one_of(_chinese, _specials, _astral, st.characters(codec="utf-8"))
_texty = st.lists(_token, min_size=1, max_size=60).map("".join)
_paragraph = st.one_of(
    _texty,
    st.builds(lambda s, n: s * n, _texty, st.integers(min_value=50, max_value=400)),  # very long paragraphs
)


@settings(max_examples=150, deadline=None)
@given(title=_texty, paragraphs=st.lists(_paragraph, min_size=0, max_size=8), position=st.integers(1, 3))
def test_property_every_part_fits_is_valid_html_and_the_parts_give_back_the_text(
    title: str, paragraphs: list[str], position: int
) -> None:
    article = Article(title, tuple(paragraphs))
    others = [Article("前", ("x",)), Article("后", ("y",))]
    arts = (*others[: position - 1], article, *others[position - 1 :])[:3]
    pos = arts.index(article) + 1
    parts = render_article(5, make_issue(arts), pos, lang="zh")
    texts = [telegram_html_to_text(p.text) for p in parts]
    assert all(utf16_len(t) <= MAX_MESSAGE_UTF16 for t in texts)
    # the local Bot API server's parser (TDLib's rules, trimming included) accepts every part, within the limit
    served = [parse_html(p.text).text for p in parts]
    assert all(utf16_len(t) <= MAX_MESSAGE_UTF16 for t in served)
    assert "".join("".join(t.split()) for t in served) == "".join("".join(t.split()) for t in texts)
    expected, _ = article_plain_text(title, paragraphs)
    if expected:
        assert "".join(texts) == expected
    assert all(t.strip() for t in texts)
    assert all(p.keyboard == () for p in parts[:-1]) and parts[-1].keyboard
    assert all(len(b.callback_data.encode()) <= 64 for row in parts[-1].keyboard for b in row if b.callback_data)


@settings(max_examples=150, deadline=None)
@given(text=st.lists(st.one_of(_chinese, _specials, _astral), min_size=1, max_size=3000).map("".join),
       limit=st.integers(min_value=2, max_value=200), bold_end=st.integers(min_value=0, max_value=50))
def test_property_split_html_at_small_limits(text: str, limit: int, bold_end: int) -> None:
    parts = split_html(text, bold=[(0, bold_end)], limit=limit)
    visible = [telegram_html_to_text(p) for p in parts]
    assert "".join(visible) == text
    for p in parts:
        parse_html(p)  # the local server's TDLib-faithful parser accepts it
    assert all(utf16_len(v) <= limit for v in visible)


def test_split_lines_keeps_lines_whole_and_counts_visible_utf16() -> None:
    """Listings are split between lines; the limit counts what Telegram shows (tags out, escapes and emoji in)."""
    lines = ["<b>标题</b>"] + [f"<code>{i}</code> 张&amp;三 😀 · 办公室" for i in range(400)]
    markup = "\n".join(lines)
    parts = split_lines(markup)
    assert len(parts) > 1 and "\n".join(parts) == markup
    assert all(utf16_len(visible_text(p)) <= 4096 for p in parts)
    assert max(utf16_len(visible_text(p)) for p in parts) > 4000  # parts are filled, not one line each
    assert split_lines("短消息 <b>x</b>") == ["短消息 <b>x</b>"]
    # a line longer than a message is cut as plain text, escaped again
    long_line = "&lt;" + "字" * 5000
    parts = split_lines("<b>头</b>\n" + long_line)
    assert parts[0] == "<b>头</b>" and "".join(visible_text(p) for p in parts[1:]) == "<" + "字" * 5000
    assert parts[1].startswith("&lt;字") and all(utf16_len(visible_text(p)) <= 4096 for p in parts)


def test_a_replaced_issue_renders_anew_under_the_same_id() -> None:
    # Renderings are kept between lookups (bulletin/render.py _KEPT_RENDERINGS); an issue replaced or corrected under
    # the same stored id must show its new text, never the kept one.
    before = make_issue((Article("春耕备耕工作动态", ("各乡镇抓紧春耕。",)), Article("安全检查", ("开展检查。",))))
    after = make_issue(
        (Article("春耕备耕工作动态（更正）", ("各乡镇抓紧春耕备耕。",)), Article("安全检查", ("开展检查。",)))
    )

    assert "春耕备耕工作动态" in render_contents(9, before, lang="zh", previous_issue_id=None).text
    assert "（更正）" not in render_contents(9, before, lang="zh", previous_issue_id=None).text
    assert "（更正）" in render_contents(9, after, lang="zh", previous_issue_id=None).text
    assert "抓紧春耕。" in render_article(9, before, 1, lang="zh")[0].text
    assert "抓紧春耕备耕。" in render_article(9, after, 1, lang="zh")[0].text
    # The same issue again: the same messages, in each language asked for.
    assert render_article(9, after, 1, lang="zh") == render_article(9, after, 1, lang="zh")
    assert "Contents" in render_contents(9, after, lang="en", previous_issue_id=None).text
    assert "Contents" not in render_contents(9, after, lang="zh", previous_issue_id=None).text
