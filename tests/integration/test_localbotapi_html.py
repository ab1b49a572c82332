"""Telegram's HTML parse mode as the local server implements it (a port of TDLib's parser)."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localbotapi import EntityParseError, parse_html, utf16_len


def entities(s: str) -> list[tuple[str, int, int]]:
    return [(e["type"], e["offset"], e["length"]) for e in parse_html(s).entities]


def parse_error(s: str) -> str:
    with pytest.raises(EntityParseError) as exc:
        parse_html(s)
    return str(exc.value)


def test_every_supported_tag() -> None:
    cases = {
        "<b>x</b>": "bold",
        "<strong>x</strong>": "bold",
        "<i>x</i>": "italic",
        "<em>x</em>": "italic",
        "<u>x</u>": "underline",
        "<ins>x</ins>": "underline",
        "<s>x</s>": "strikethrough",
        "<strike>x</strike>": "strikethrough",
        "<del>x</del>": "strikethrough",
        "<tg-spoiler>x</tg-spoiler>": "spoiler",
        '<span class="tg-spoiler">x</span>': "spoiler",
        "<code>x</code>": "code",
        "<pre>x</pre>": "pre",
        "<blockquote>x</blockquote>": "blockquote",
        "<blockquote expandable>x</blockquote>": "expandable_blockquote",
        '<a href="https://example.org/a?b=1&amp;c=2">x</a>': "text_link",
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>': "custom_emoji",
        '<tg-time unix="1700000000" format="wDT">x</tg-time>': "date_time",
    }
    for source, kind in cases.items():
        parsed = parse_html(source)
        assert [e["type"] for e in parsed.entities] == [kind], source
    link = parse_html('<a href="https://example.org/a?b=1&amp;c=2">x</a>').entities[0]
    assert link["url"] == "https://example.org/a?b=1&c=2"
    pre = parse_html('<pre><code class="language-python">print(1)</code></pre>').entities
    assert pre == ({"type": "pre", "offset": 0, "length": 8, "language": "python"},)
    assert parse_html("<B>upper</B>").entities[0]["type"] == "bold"  # tag names are case-insensitive


@pytest.mark.parametrize("tag", ["br", "p", "div", "img", "h1", "font", "ul", "li", "table", "html"])
def test_unsupported_tags_are_errors_with_byte_offset(tag: str) -> None:
    assert parse_error(f"简报<{tag}>x") == f'Unsupported start tag "{tag}" at byte offset 6'


def test_br_self_closing_and_with_attributes() -> None:
    assert parse_error("a<br/>b") == 'Unsupported start tag "br/" at byte offset 1'
    assert parse_error('a<p class="x">b</p>') == 'Unsupported start tag "p" at byte offset 1'


def test_unbalanced_tags() -> None:
    assert parse_error("x</b>") == "Unexpected end tag at byte offset 1"
    assert parse_error("<b>粗") == 'Can\'t find end tag corresponding to start tag "b"'
    assert parse_error("<b><i>x</b></i>") == 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'
    assert parse_error("<b>x</b") == "Unclosed end tag at byte offset 4"
    # "</>" closes the innermost open tag, as in TDLib
    assert entities("<b>x</>") == [("bold", 0, 1)]


def test_stray_less_than_is_an_error_but_stray_ampersand_is_text() -> None:
    assert parse_error("1 < 2") == 'Unsupported start tag "" at byte offset 2'
    assert parse_error("a <") == "Unclosed start tag at byte offset 2"
    assert parse_error("x<b") == "Unclosed start tag at byte offset 1"
    assert parse_html("AT&T & co").text == "AT&T & co"


def test_html_entities() -> None:
    assert parse_html("&lt;b&gt; &amp; &quot;q&quot;").text == '<b> & "q"'
    assert parse_html("&#20013;&#x6587; &#128512;").text == "中文 😀"
    # only four named entities exist; the others stay literal text
    assert parse_html("a&nbsp;b &copy;").text == "a&nbsp;b &copy;"
    # TDLib accepts the known ones without the semicolon
    assert parse_html("&lt&gt").text == "<>"
    # invalid numeric references stay literal (zero, past U+10FFFF, ten characters or more)
    assert parse_html("&#0; &#x110000; &#000000065;").text == "&#0; &#x110000; &#000000065;"
    # a surrogate is decoded, then the text is refused (parse_html's need_recheck_utf8 in MessageEntity.cpp)
    for lone in ("&#xD800;", "&#55357;x", "&#xD83D;&#xDE00;"):
        assert parse_error(lone) == (
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate "
            "code units"
        )


def test_attributes() -> None:
    assert parse_error("<span>x</span>") == 'Tag "span" must have class "tg-spoiler" at byte offset 0'
    assert parse_error('<span class="other">x</span>') == 'Tag "span" must have class "tg-spoiler" at byte offset 0'
    # an attribute without a value is skipped (TDLib's parse_html no longer refuses it): <a href> links its text
    assert parse_html("<b foo>x</b>").entities == ({"type": "bold", "offset": 0, "length": 1},)
    assert parse_html("<a href>example.org</a>").entities == (
        {"type": "text_link", "offset": 0, "length": 11, "url": "http://example.org/"},
    )
    assert entities("<a href>x</a>") == []  # "x" is no link: no entity, no error
    assert parse_error("<b") == "Unclosed start tag at byte offset 0"
    assert parse_error("<b foo") == 'Unclosed start tag "b" at byte offset 0'
    assert parse_error('<tg-emoji emoji-id="abc">x</tg-emoji>') == "Invalid custom emoji identifier specified"
    # unquoted values are name tokens
    assert entities("<a href=example.org>x</a>") == [("text_link", 0, 1)]
    # a link without a valid URL loses its entity but is not an error
    assert entities('<a href="javascript:alert(1)">x</a>') == []


def test_offsets_and_lengths_are_utf16_code_units() -> None:
    assert utf16_len("😀") == 2
    assert utf16_len("中文") == 2
    assert utf16_len("a😀b") == 4
    parsed = parse_html("😀 <b>中😀文</b> <i>x</i>")
    assert parsed.text == "😀 中😀文 x"
    assert [(e["type"], e["offset"], e["length"]) for e in parsed.entities] == [("bold", 3, 4), ("italic", 8, 1)]


def test_nested_entities_sorted_by_offset_then_longer_first() -> None:
    assert entities("<b>a<i>b</i></b><u>c</u>") == [("bold", 0, 2), ("italic", 1, 1), ("underline", 2, 1)]


def test_whitespace_is_trimmed_and_empty_entities_vanish() -> None:
    parsed = parse_html("\n\n  <b> 标题</b>\n正文\n\n")
    assert parsed.text == "标题\n正文"
    assert [(e["type"], e["offset"], e["length"]) for e in parsed.entities] == [("bold", 0, 2)]
    assert parse_html("<b></b>x").entities == ()
    assert parse_html("<b> </b>x").entities == ()
    assert parse_html("a\r\nb").text == "a\nb"


_SAFE = st.characters(
    blacklist_categories=("Cs", "Cc"),
    blacklist_characters="\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a",
)


@given(st.text(alphabet=st.one_of(_SAFE, st.just("\n"), st.sampled_from("<>&\"'")), max_size=200))
def test_escaped_text_round_trips(text: str) -> None:
    parsed = parse_html(html.escape(text))
    assert parsed.text == text.strip(" \n")
    assert parsed.entities == ()


@given(st.text(alphabet=st.one_of(_SAFE, st.sampled_from("<>&😀")), min_size=1, max_size=100))
def test_bold_entity_covers_the_text_in_utf16(text: str) -> None:
    parsed = parse_html("<b>" + html.escape(text) + "</b>")
    stripped = text.strip(" \n")
    assert parsed.text == stripped
    if stripped.strip(" "):
        [bold] = parsed.entities
        assert bold["offset"] == 0
        assert bold["length"] == utf16_len(stripped)
