"""Plain-text bulletins: encodings, issue lines, dates, 要目 forms, matching, structure, footer, warnings, errors."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest
from support.bulletin_builders import (
    BULLETS,
    DATE_FORMS,
    FOOTER,
    ISSUE_FORMS,
    PIECES,
    Layout,
    expected_issue,
    render_text,
    with_layout,
)

from bulletin.errors import BulletinParseError
from bulletin.model import Article, TocEntry
from bulletin.parser import parse_document, parse_path

FIXTURES = Path(__file__).resolve().parents[1] / "support"


def parse_text(text: str, encoding: str = "utf-8", name: str = "bulletin.txt"):  # type: ignore[no-untyped-def]
    return parse_document(text.encode(encoding), name)


# --- encodings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(lambda t: t.encode("utf-8"), id="utf-8"),
        pytest.param(lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), id="utf-8-bom"),
        pytest.param(lambda t: t.encode("gb18030"), id="gb18030"),
        pytest.param(lambda t: t.encode("gbk"), id="gbk"),
        pytest.param(lambda t: t.encode("utf-16"), id="utf-16-bom"),
        pytest.param(lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(lambda t: t.replace("\n", "\r\n").encode("gb18030"), id="gb18030-crlf"),
    ],
)
def test_every_supported_encoding_gives_the_same_issue(encoded) -> None:  # type: ignore[no-untyped-def]
    issue = parse_document(encoded(render_text()), "bulletin.txt")
    assert issue == expected_issue()
    assert issue.warnings == ()


def test_short_gbk_text_is_not_mistaken_for_big5_or_korean() -> None:
    # charset-normalizer alone calls these bytes Big5/CP949; strict GB18030 must win.
    text = "某镇简报\n第3期\n某镇党政办\n2023年5月8日\n景区巡查\n景区巡查人员到位，情况良好。\n"
    issue = parse_text(text, "gbk")
    assert issue.masthead == "某镇简报"
    assert issue.articles == (Article("景区巡查", ("景区巡查人员到位，情况良好。",)),)


def test_stored_gbk_fixture_with_windows_line_ends() -> None:
    issue = parse_path(FIXTURES / "town-bulletin-gbk.txt")
    assert issue.masthead == "某镇综治工作简报"
    assert (issue.year, issue.number, issue.total_number) == (2024, 2, 9)
    assert issue.date == dt.date(2024, 3, 5)
    assert [a.title for a in issue.articles] == ["镇综治中心开展矛盾纠纷集中排查", "某村“法律明白人”调解邻里纠纷"]
    assert issue.warnings == ()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(bytes(range(256)) * 8, id="all-bytes"),
        pytest.param(b"\x00\x01\x02\x03binary\xff\xfe\x00" * 50, id="binary-with-nuls"),
        pytest.param(b"\x81\x20\x82\x21\xfe\x7f" * 40, id="broken-multibyte"),
    ],
)
def test_bytes_that_are_no_text_encoding_are_rejected_not_garbled(data: bytes) -> None:
    with pytest.raises(BulletinParseError) as info:
        parse_document(data, "bulletin.txt")
    assert info.value.code == "encoding"
    assert "not a text file" in str(info.value)


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE + "\n".encode("utf-16-le")])
def test_empty_files_are_an_error(data: bytes) -> None:
    with pytest.raises(BulletinParseError, match="empty") as info:
        parse_document(data, "empty.txt")
    assert info.value.code == "empty"


# --- issue lines and dates -------------------------------------------------------------------------------


@pytest.mark.parametrize("form", sorted(ISSUE_FORMS))
def test_issue_line_forms(form: str) -> None:
    layout = with_layout(issue_form=form)
    issue = parse_text(render_text(layout))
    line, _year, total = ISSUE_FORMS[form]
    assert issue.number == 4, line
    assert issue.total_number == total, line
    assert issue.year == 2023  # from the issue line, or else from the date
    assert issue == expected_issue(layout)


@pytest.mark.parametrize(
    ("line", "number", "total", "year"),
    [
        ("第十二期", 12, None, 2023),
        ("2022年第2期 总第14期", 2, 14, 2022),
        ("（第5期）", 5, None, 2023),
        ("(第5期)", 5, None, 2023),
        ("２０２３年第３期（总第１５期）", 3, 15, 2023),
        ("2023年第21期(总第121期)", 21, 121, 2023),
    ],
)
def test_more_issue_lines(line: str, number: int, total: int | None, year: int) -> None:
    text = f"某市工作简报\n{line}\n某市人民政府办公室\t2023年5月8日\n标题甲\n正文第一段，内容如下。\n"
    issue = parse_text(text)
    assert (issue.number, issue.total_number, issue.year) == (number, total, year)


def test_cumulative_number_on_its_own_line() -> None:
    issue = parse_text(
        "某市工作简报\n2023年第2期\n（总第14期）\n某市人民政府办公室\n2023年5月8日\n标题甲\n正文第一段，内容如下。\n"
    )
    assert (issue.year, issue.number, issue.total_number, issue.publisher) == (2023, 2, 14, "某市人民政府办公室")
    assert issue.warnings == ()


def test_a_dated_first_paragraph_is_not_taken_for_the_byline() -> None:
    text = "某市工作简报\n第3期\n某市召开防汛会议\n2023年6月1日，某市召开防汛工作会议，部署今年防汛工作。\n"
    issue = parse_text(text)
    assert issue.articles == (Article("某市召开防汛会议", ("2023年6月1日，某市召开防汛工作会议，部署今年防汛工作。",)),)
    assert issue.date is None and issue.year is None
    assert issue.warnings == ("no date found", "no publisher found")


def test_issue_line_inside_the_masthead_line() -> None:
    issue = parse_text(
        "某区统计工作简报（第7期）\n某区统计局\n2023年7月1日\n一季度数据发布\n数据显示，全区经济稳中有进。\n"
    )
    assert (issue.masthead, issue.number, issue.year) == ("某区统计工作简报", 7, 2023)


@pytest.mark.parametrize("form", sorted(DATE_FORMS))
@pytest.mark.parametrize("byline", ["tabs", "spaces", "lines"])
def test_date_forms_and_publisher_placement(form: str, byline: str) -> None:
    layout = with_layout(date_form=form, byline=byline)
    issue = parse_text(render_text(layout))
    assert issue.date == dt.date(2023, 9, 12)
    assert issue.publisher == "某县应急管理局办公室"
    assert issue == expected_issue(layout)


def test_no_issue_line_is_not_a_bulletin() -> None:
    with pytest.raises(BulletinParseError, match="no issue line such as 2023年第1期") as info:
        parse_text("会议纪要\n2023年5月8日\n今天开会讨论了三件事。\n")
    assert info.value.code == "not_bulletin"


def test_issue_line_without_any_article_is_an_error() -> None:
    with pytest.raises(BulletinParseError, match="no articles") as info:
        parse_text("某市工作简报\n2023年第1期\n某市人民政府办公室\n2023年5月8日\n")
    assert info.value.code == "no_articles"


# --- 要目 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading", ["本期要目", "本期要目：", "本期目录", "目录", "目  录", "≡本期要目≡", "【本期要目】", "要目:"]
)
def test_toc_headings(heading: str) -> None:
    layout = with_layout(toc_heading=heading)
    issue = parse_text(render_text(layout))
    assert issue == expected_issue(layout)
    assert issue.warnings == ()


@pytest.mark.parametrize("bullet", BULLETS)
def test_toc_bullets_and_numbering(bullet: str) -> None:
    layout = with_layout(bullet=bullet)
    issue = parse_text(render_text(layout))
    assert [e.title for e in issue.toc] == [p.title for p in PIECES]
    assert issue == expected_issue(layout)


@pytest.mark.parametrize("bullet", ["☆", "1.", "（一）", ""])
def test_sections_and_entries_wrapped_onto_a_second_line(bullet: str) -> None:
    layout = with_layout(bullet=bullet, sections=True, wrap_long_entry=True)
    issue = parse_text(render_text(layout))
    assert issue.toc == tuple(TocEntry(p.title, p.section) for p in PIECES)
    assert issue == expected_issue(layout)
    # The section labels repeated in the body are structure, not paragraphs.
    assert all(not p.startswith("【") for a in issue.articles for p in a.paragraphs)
    assert issue.warnings == ()


def test_text_without_blank_lines_or_indentation() -> None:
    issue = parse_text(render_text(blank_lines=False, indent=""))
    assert issue == expected_issue()


# --- matching entries to headings ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["spaces", "halfwidth", "straight-quotes", "broken"])
def test_headings_match_entries_tolerantly_and_carry_the_entry_text(variant: str) -> None:
    layout = with_layout(heading_variant=variant)
    issue = parse_text(render_text(layout))
    assert [a.title for a in issue.articles] == [p.title for p in PIECES]
    assert issue == expected_issue(layout)
    assert issue.warnings == ()


def test_full_and_half_width_punctuation_in_headings_match() -> None:
    text = (
        "某市工作简报\n2023年第1期\n某市人民政府办公室\n2023年5月8日\n本期要目\n"
        "☆全市召开会议：部署（秋冬）防火工作！\n☆“景区”安全，人人有责\n"
        "全市召开会议:部署(秋冬)防火工作!\n会议部署了秋冬防火工作。\n"
        '"景区"安全, 人人有责\n各景区开展安全宣传。\n'
    )
    issue = parse_text(text)
    assert [a.title for a in issue.articles] == ["全市召开会议：部署（秋冬）防火工作！", "“景区”安全，人人有责"]
    assert [a.paragraphs for a in issue.articles] == [("会议部署了秋冬防火工作。",), ("各景区开展安全宣传。",)]
    assert issue.warnings == ()


def test_entry_without_article_is_a_warning_and_nothing_is_lost() -> None:
    text = render_text().replace(
        "☆县安委办召开第三季度安全生产形势分析会\n",
        "☆县安委办召开第三季度安全生产形势分析会\n\n☆某乡开展森林防火宣传\n",
    )
    issue = parse_text(text)
    assert [e.title for e in issue.toc][-1] == "某乡开展森林防火宣传"
    assert [a.title for a in issue.articles] == [p.title for p in PIECES]
    assert issue.articles == expected_issue().articles
    assert issue.warnings == ('要目 entry "某乡开展森林防火宣传" has no matching article',)


def test_reworded_heading_is_matched_with_a_warning() -> None:
    text = render_text().replace("\n某镇开展“防汛应急演练进村组”活动\n", "\n某镇扎实开展“防汛应急演练进村组”活动\n")
    issue = parse_text(text)
    assert issue.articles == expected_issue().articles
    assert issue.warnings == (
        'heading "某镇扎实开展“防汛应急演练进村组”活动" differs from its 要目 entry "某镇开展“防汛应急演练进村组”活动"',
    )


def test_text_before_the_first_listed_heading_becomes_an_article_with_a_warning() -> None:
    extra = "县领导带队督导节前安全\n9月10日，县领导带队到重点企业督导节前安全工作。\n"
    text = render_text(blank_lines=False).replace(
        "县应急管理局部署国庆假期安全防范工作\n　　9月8日", extra + "县应急管理局部署国庆假期安全防范工作\n　　9月8日"
    )
    issue = parse_text(text)
    assert issue.articles[0] == Article("县领导带队督导节前安全", ("9月10日，县领导带队到重点企业督导节前安全工作。",))
    assert issue.articles[1:] == expected_issue().articles
    assert issue.warnings == ('article "县领导带队督导节前安全" has no 要目 entry',)


# --- no 要目: headings from structure ---------------------------------------------------------------------


def test_without_toc_short_lines_followed_by_text_are_headings() -> None:
    layout = with_layout(toc_heading=None)
    issue = parse_text(render_text(layout))
    assert issue == expected_issue(layout)
    assert issue.warnings == ()


def test_without_toc_a_heading_broken_over_two_lines_is_joined() -> None:
    layout = with_layout(toc_heading=None, heading_variant="broken")
    issue = parse_text(render_text(layout))
    assert issue == expected_issue(layout)


def test_without_toc_sections_become_the_entries_sections() -> None:
    layout = with_layout(toc_heading=None, sections=True)
    issue = parse_text(render_text(layout))
    assert issue.toc == tuple(TocEntry(p.title, p.section) for p in PIECES)
    assert issue == expected_issue(layout)


def test_without_toc_chinese_numbered_headings() -> None:
    text = (
        "某街道工作简报\n第3期\n某街道办事处\n2023年6月1日\n"
        "一、街道召开安全生产例会\n6月1日上午，街道召开安全生产例会。\n会议通报了5月份检查情况。\n"
        "二、社区开展“景区周边环境整治”志愿服务\n志愿者清理景区周边垃圾30余袋。\n"
    )
    issue = parse_text(text)
    assert [a.title for a in issue.articles] == ["街道召开安全生产例会", "社区开展“景区周边环境整治”志愿服务"]
    assert [len(a.paragraphs) for a in issue.articles] == [2, 1]
    assert [e.title for e in issue.toc] == [a.title for a in issue.articles]


def test_without_toc_numbered_subsections_inside_articles_stay_paragraphs() -> None:
    text = (
        "某街道工作简报\n第3期\n某街道办事处\n2023年6月1日\n"
        "街道部署汛期工作\n街道召开会议，部署汛期各项工作。\n一、压实责任\n各社区要落实包保责任。\n二、强化值守\n严格落实24小时值班。\n"
        "社区开展应急演练\n某社区组织居民开展应急疏散演练，参与群众200余人。\n"
    )
    issue = parse_text(text)
    assert [a.title for a in issue.articles] == ["街道部署汛期工作", "社区开展应急演练"]
    assert issue.articles[0].paragraphs == (
        "街道召开会议，部署汛期各项工作。",
        "一、压实责任",
        "各社区要落实包保责任。",
        "二、强化值守",
        "严格落实24小时值班。",
    )


# --- footer ----------------------------------------------------------------------------------------------


def test_footer_lines_are_kept_apart_from_the_last_article() -> None:
    issue = parse_text(render_text())
    assert issue.footer == FOOTER
    assert issue.articles[-1].paragraphs == PIECES[-1].paragraphs


def test_footer_with_continuation_lines_and_signatures() -> None:
    text = render_text(with_layout(footer=False)) + (
        "————————————————\n报：市应急管理局\n送：县委办公室，县政府办公室，\n各乡镇人民政府\n"
        "责任编辑：李某　　签发：王某\n共印50份\n"
    )
    issue = parse_text(text)
    assert issue.footer == (
        "报：市应急管理局",
        "送：县委办公室，县政府办公室，",
        "各乡镇人民政府",
        "责任编辑：李某 签发：王某",
        "共印50份",
    )
    assert issue.articles == expected_issue().articles


def test_no_footer() -> None:
    layout = with_layout(footer=False, rule=False)
    issue = parse_text(render_text(layout))
    assert issue.footer == ()
    assert issue == expected_issue(layout)


# --- the rest --------------------------------------------------------------------------------------------


def test_missing_date_and_publisher_are_warnings() -> None:
    issue = parse_text("某市工作简报\n2023年第1期\n本期要目\n☆标题甲\n标题甲\n正文第一段，内容如下。\n")
    assert issue.date is None and issue.publisher is None
    assert issue.year == 2023
    assert issue.warnings == ("no date found", "no publisher found")


def test_output_is_deterministic() -> None:
    data = render_text(with_layout(sections=True, wrap_long_entry=True, bullet="")).encode("gb18030")
    first = parse_document(data, "a.txt").to_json_dict()
    assert all(parse_document(data, "a.txt").to_json_dict() == first for _ in range(3))


def test_every_paragraph_of_the_document_lands_in_exactly_one_article_in_order() -> None:
    issue = parse_text(render_text(with_layout(sections=True, heading_variant="broken")))
    got = [p for a in issue.articles for p in a.paragraphs]
    assert got == [p for piece in PIECES for p in piece.paragraphs]


def test_sandbox_sample_parses_without_warnings() -> None:
    sample = Path(__file__).resolve().parents[2] / "bulletin_bot" / "data" / "sample-bulletin.txt"
    issue = parse_path(sample)
    assert issue.warnings == ()
    assert len(issue.articles) == 5 and len(issue.toc) == 5
    assert any("景区" in a.title or any("景区" in p for p in a.paragraphs) for a in issue.articles)
    assert issue.footer and issue.publisher and issue.date


def test_unreadable_paths(tmp_path: Path) -> None:
    with pytest.raises(BulletinParseError, match="no such file") as info:
        parse_path(tmp_path / "missing.txt")
    assert info.value.code == "unreadable"
    with pytest.raises(BulletinParseError, match="directory"):
        parse_path(tmp_path)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "bulletin.doc", "old Word"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "scan.png", "PNG image"),
        (b"\x00\x00\x00\x01binary", "data.bin", "unsupported file type"),
    ],
)
def test_unsupported_files(data: bytes, name: str, message: str) -> None:
    with pytest.raises(BulletinParseError, match=message) as info:
        parse_document(data, name)
    assert info.value.code == "unsupported"


def test_text_without_an_extension_is_sniffed() -> None:
    assert parse_document(render_text().encode("gb18030"), "bulletin") == expected_issue()


def test_layout_defaults_are_the_common_office_layout() -> None:
    # Guards the fixture itself: the default rendering carries every part of an issue.
    text = render_text(Layout())
    for part in ("某县应急管理工作简报", "2023年第4期（总第27期）", "本期要目：", "☆", "报：", "共印60份"):
        assert part in text
