"""Made-up bulletin heads in the layouts offices use, each with the fields it must parse to.

The layouts follow published 工作简报 / 工作动态 / 信息简报 / 教育信息 / 每日动态 / 工作周报 pages (issue line
anywhere in a line, mastheads over two lines or in 《》, handling marks, publishers named in every way, web-page
text around the bulletin, 要目 without a heading, dated reports, sign-offs and footers); every word is our own.
Each case renders in .txt, .docx, .pdf and .html through `bulletin_builders.render_lines`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bulletin.model import TocEntry
from support.bulletin_builders import PIECES, RULE, Line, Piece

A, B, C = PIECES[0], PIECES[1], PIECES[2]
ENDING = (("rule", RULE), ("line", "报：县委办公室，县政府办公室"), ("line", "（共印40份）"))


@dataclass(frozen=True)
class HeadCase:
    """A document: HEAD lines, then TOC lines, the PIECES as articles (SECTION_LINES before some), then TAIL."""

    name: str
    head: tuple[Line, ...]
    masthead: str
    year: int | None
    number: int | None
    total: int | None = None
    publisher: str | None = None
    date: dt.date | None = None
    week: int | None = None
    marks: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ("toc",)
    toc: tuple[Line, ...] = ()
    toc_expected: tuple[TocEntry, ...] | None = None  # None: the articles' titles, no sections
    pieces: tuple[Piece, ...] = (A, B)
    section_lines: dict[int, str] = field(default_factory=dict)
    tail: tuple[Line, ...] = ENDING
    footer: tuple[str, ...] | None = None  # None: the non-rule lines of TAIL
    first_article: tuple[str, tuple[str, ...]] | None = None  # an article run onto the head line

    def lines(self) -> tuple[Line, ...]:
        body: list[Line] = []
        for index, piece in enumerate(self.pieces):
            if index in self.section_lines:
                body.append(("section", self.section_lines[index]))
            body.append(("heading", piece.title))
            body += [("paragraph", p) for p in piece.paragraphs]
        return (*self.head, *self.toc, *body, *self.tail)

    def expected_toc(self) -> tuple[TocEntry, ...]:
        if self.toc_expected is not None:
            return self.toc_expected
        titles = [p.title for p in self.pieces]
        if self.first_article is not None:
            titles.insert(0, self.first_article[0])
        return tuple(TocEntry(t) for t in titles)

    def expected_articles(self) -> list[tuple[str, tuple[str, ...]]]:
        articles = [(p.title, p.paragraphs) for p in self.pieces]
        if self.first_article is not None:
            articles.insert(0, self.first_article)
        return articles

    def expected_footer(self) -> tuple[str, ...]:
        if self.footer is not None:
            return self.footer
        return tuple(" ".join(text.split()) for kind, text in self.tail if kind != "rule")


def _m(text: str) -> Line:
    return ("masthead", text)


def _h(text: str) -> Line:
    return ("head", text)


def _l(text: str) -> Line:
    return ("line", text)


_RULE: Line = ("rule", RULE)
D = dt.date
TOC_AB = (("tocheading", "本期要目"), _l("☆" + A.title), _l("☆" + B.title))
RUN_FIRST = (
    "关于做好汛期值守工作的通知",
    (
        "各乡镇、各有关单位：入汛以来我县降雨偏多，为确保安全度汛，现就汛期值守工作通知如下。",
        "一是严格执行领导带班和24小时值班制度，二是及时报送雨情水情和险情。",
    ),
)

# One case a row: name, head lines, then masthead, year, number, total, publisher, date as positional fields.
# fmt: off
CASES: tuple[HeadCase, ...] = (
    # --- the issue line anywhere in a line -------------------------------------------------------------------
    HeadCase(
        "publisher-issue-total-date-on-one-line",
        (_m("调研与参考"), _h("某市委政策研究室编 第3期(总第15期) 2019年4月2日"), _RULE),
        "调研与参考", 2019, 3, 15, "某市委政策研究室", D(2019, 4, 2), uncertain=("year", "toc"),
    ),
    HeadCase(
        "office-bianyin-year-issue-date",
        (_m("某区营商环境简报"), _l("某区营商办编印　2023年第3期　2023年6月1日"), _RULE),
        "某区营商环境简报", 2023, 3, None, "某区营商办", D(2023, 6, 1),
    ),
    HeadCase(
        "masthead-and-number-glued-year-from-date",
        (_m("政策研究信息第17期"), _l("某县政策研究室　　2022年8月9日"), _RULE),
        "政策研究信息", 2022, 17, None, "某县政策研究室", D(2022, 8, 9), uncertain=("year", "toc"),
    ),
    HeadCase(
        "masthead-and-number-glued-no-date-no-year",
        (_m("政务信息参考第2期"), _l("某县人民政府办公室"), _RULE),
        "政务信息参考", None, 2, None, "某县人民政府办公室", None,
    ),
    HeadCase(
        "brackets-inside-issue-and-total",
        (_m("某镇综合治理简报"), _h("2021年第〔4〕期总第【36】期"), _l("某镇综治办　　2021年4月20日"), _RULE),
        "某镇综合治理简报", 2021, 4, 36, "某镇综治办", D(2021, 4, 20),
    ),
    HeadCase(
        "number-in-round-brackets",
        (_m("某县统计信息"), _h("第（3）期"), _l("某县统计局　　2023年3月15日"), _RULE),
        "某县统计信息", 2023, 3, None, "某县统计局", D(2023, 3, 15), uncertain=("year", "toc"),
    ),
    HeadCase(
        "spaces-around-the-number",
        (_m("某区市场监管简报"), _h("第 12 期"), _l("某区市场监管局办公室　　2022年12月1日"), _RULE),
        "某区市场监管简报", 2022, 12, None, "某区市场监管局办公室", D(2022, 12, 1), uncertain=("year", "toc"),
    ),
    HeadCase(
        "space-between-year-and-number",
        (_m("某县林业工作动态"), _h("2023年 第3期"), _l("某县林业局　　2023年4月3日"), _RULE),
        "某县林业工作动态", 2023, 3, None, "某县林业局", D(2023, 4, 3),
    ),
    HeadCase(
        "first-issue-with-its-total-on-a-line-of-its-own",
        (_m("某县营商简报"), _h("2023年第1期"), _h("（总第1期）"), _l("某县营商办　　2023年1月3日"), _RULE),
        "某县营商简报", 2023, 1, 1, "某县营商办", D(2023, 1, 3),
    ),
    HeadCase(
        "year-in-brackets-before-the-number",
        (_m("某区政务公开简报"), _h("〔2023〕第7期"), _l("某区政务公开办　　2023年7月7日"), _RULE),
        "某区政务公开简报", 2023, 7, None, "某区政务公开办", D(2023, 7, 7),
    ),
    HeadCase(
        "total-before-the-issue",
        (_m("某市党史学习简报"), _h("总第21期　2023年第2期"), _l("某市委党史研究室　　2023年2月14日"), _RULE),
        "某市党史学习简报", 2023, 2, 21, "某市委党史研究室", D(2023, 2, 14),
    ),
    HeadCase(
        "letter-spaced-masthead",
        (_m("教　育　信　息"), _h("2023年第9期"), _l("某县教育局办公室　　2023年9月4日"), _RULE),
        "教育信息", 2023, 9, None, "某县教育局办公室", D(2023, 9, 4),
    ),
    HeadCase(
        "year-du-and-chinese-total",
        (_m("某区民政信息"), _h("2023年度第2期（总第十一期）"), _l("某区民政局　　2023年2月8日"), _RULE),
        "某区民政信息", 2023, 2, 11, "某区民政局", D(2023, 2, 8),
    ),
    HeadCase(
        "whole-head-run-together-with-the-first-article",
        (
            _l(
                "水利工作简报某县水利局综合科编2021年第〔4〕期总第【36】期关于做好汛期值守工作的通知"
                + RUN_FIRST[1][0]
            ),
            ("paragraph", RUN_FIRST[1][1]),
        ),
        "水利工作简报", 2021, 4, 36, "某县水利局综合科", None, uncertain=("masthead", "toc"),
        first_article=RUN_FIRST,
    ),
    HeadCase(
        "head-run-together-with-spaces",
        (_l("某街道简报 某街道党政办编 2023年第5期 2023年5月6日 " + RUN_FIRST[0] + " " + RUN_FIRST[1][0]),
         ("paragraph", RUN_FIRST[1][1])),
        "某街道简报", 2023, 5, None, "某街道党政办", D(2023, 5, 6), first_article=RUN_FIRST,
    ),
    # --- mastheads and marks ---------------------------------------------------------------------------------
    HeadCase(
        "masthead-over-two-lines-title-then-unit",
        (_m("教育改革动态"), _m("某某大学"), _h("第3期"), _l("某某大学发展规划处编　　2023年5月20日"), _RULE),
        "某某大学教育改革动态", 2023, 3, None, "某某大学发展规划处", D(2023, 5, 20),
        uncertain=("masthead", "year", "toc"),
    ),
    HeadCase(
        "masthead-over-two-lines-unit-then-title",
        (_m("某某学院"), _m("教学工作简报"), _h("2023年第2期（总第40期）"), _l("教务处　　2023年3月1日"), _RULE),
        "某某学院教学工作简报", 2023, 2, 40, "教务处", D(2023, 3, 1),
    ),
    HeadCase(
        "masthead-in-book-title-marks",
        (_m("《社区治理通讯》"), _h("2022年第8期"), _l("某街道社区治理办公室　　2022年9月16日"), _RULE),
        "社区治理通讯", 2022, 8, None, "某街道社区治理办公室", D(2022, 9, 16),
    ),
    HeadCase(
        "mark-above-the-masthead",
        (_l("内部资料"), _m("某县审计工作动态"), _h("第6期"), _l("某县审计局办公室　　2023年6月26日"), _RULE),
        "某县审计工作动态", 2023, 6, None, "某县审计局办公室", D(2023, 6, 26), marks=("内部资料",),
        uncertain=("year", "toc"),
    ),
    HeadCase(
        "two-marks-on-one-line",
        (_l("内部资料　注意保存"), _m("某市信访信息"), _h("2023年第11期"), _l("某市信访局　　2023年11月2日"), _RULE),
        "某市信访信息", 2023, 11, None, "某市信访局", D(2023, 11, 2), marks=("内部资料", "注意保存"),
    ),
    HeadCase(
        "secret-mark-and-mark-on-the-issue-line",
        (_l("秘密"), _m("某县维稳工作简报"), _h("2023年第1期　内部资料"), _l("某县维稳办　　2023年1月9日"), _RULE),
        "某县维稳工作简报", 2023, 1, None, "某县维稳办", D(2023, 1, 9), marks=("秘密", "内部资料"),
    ),
    HeadCase(
        "masthead-glued-number-in-brackets",
        (_m("政务信息参考（第2期）"), _l("某县人民政府办公室　　2024年2月2日"), _RULE),
        "政务信息参考", 2024, 2, None, "某县人民政府办公室", D(2024, 2, 2), uncertain=("year", "toc"),
    ),
    HeadCase(
        "mark-in-brackets-after-the-masthead",
        (_m("某县纪检监察简报（内部资料）"), _h("2023年第3期"), _l("某县纪委办公室　　2023年3月9日"), _RULE),
        "某县纪检监察简报", 2023, 3, None, "某县纪委办公室", D(2023, 3, 9), marks=("内部资料",),
    ),
    # --- publishers --------------------------------------------------------------------------------------------
    HeadCase(
        "publisher-zhuban",
        (_m("某市文艺动态"), _h("2023年第7期"), _l("某市文联主办　　2023年7月1日"), _RULE),
        "某市文艺动态", 2023, 7, None, "某市文联", D(2023, 7, 1),
    ),
    HeadCase(
        "publisher-bianfa",
        (_m("某县农业信息"), _h("2023年第9期"), _l("某县农业农村局编发　　2023年9月5日"), _RULE),
        "某县农业信息", 2023, 9, None, "某县农业农村局", D(2023, 9, 5),
    ),
    HeadCase(
        "publisher-zhuban-danwei-line-then-date-line",
        (_m("某区科技简讯"), _h("2023年第4期"), _l("主办单位：某区科学技术局"), _l("2023年4月18日"), _RULE),
        "某区科技简讯", 2023, 4, None, "某区科学技术局", D(2023, 4, 18),
    ),
    HeadCase(
        "publisher-bianyin-danwei-with-date",
        (_m("某县卫健工作简报"), _h("第10期"), _l("编印单位：某县卫生健康局　　2023年10月10日"), _RULE),
        "某县卫健工作简报", 2023, 10, None, "某县卫生健康局", D(2023, 10, 10), uncertain=("year", "toc"),
    ),
    HeadCase(
        "publisher-above-the-issue-line",
        (_m("某区人社信息"), _l("主办单位：某区人力资源和社会保障局"), _h("2023年第6期"), _l("2023年6月6日"), _RULE),
        "某区人社信息", 2023, 6, None, "某区人力资源和社会保障局", D(2023, 6, 6),
    ),
    HeadCase(
        "publisher-and-date-from-the-sign-off",
        (_m("某县乡村振兴简报"), _h("2023年第7期"), _RULE),
        "某县乡村振兴简报", 2023, 7, None, "某县农业农村局", D(2023, 6, 30),
        uncertain=("publisher", "date", "toc"),
        tail=(_l("某县农业农村局"), _l("2023年6月30日"), *ENDING),
    ),
    HeadCase(
        "sign-off-on-one-line-head-has-the-date",
        (_m("某镇党建工作简报"), _h("第4期"), _l("2023年5月12日"), _RULE),
        "某镇党建工作简报", 2023, 4, None, "某镇党委办公室", D(2023, 5, 12), uncertain=("year", "publisher", "toc"),
        tail=(_l("某镇党委办公室　2023年5月12日"),),
    ),
    HeadCase(
        "zhuban-and-chengban-on-one-line",
        (_m("某市社科动态"), _h("2023年第5期"), _l("主办：某市社科联　　承办：某市社科院"), _l("2023年5月25日"), _RULE),
        "某市社科动态", 2023, 5, None, "某市社科联", D(2023, 5, 25),
    ),
    HeadCase(
        "publisher-with-a-month-only-date",
        (_m("某县科协工作简报"), _h("2023年第4期"), _l("某县科学技术协会　　2023年4月"), _RULE),
        "某县科协工作简报", 2023, 4, None, "某县科学技术协会", None,
    ),
    HeadCase(
        "publisher-line-then-a-month-only-date-line",
        (_m("某区档案工作简报"), _h("2023年第2期"), _l("某区档案馆"), _l("2023年2月"), _RULE),
        "某区档案工作简报", 2023, 2, None, "某区档案馆", None,
    ),
    # --- web-page text around the bulletin ---------------------------------------------------------------------
    HeadCase(
        "breadcrumb-and-posting-metadata-above",
        (
            _l("首页 > 工作动态 > 简报专栏"),
            _l("发布日期：2023-06-12　来源：某县教育局　作者：办公室　点击：235"),
            _m("某县教育信息"), _h("2023年第5期"), _l("某县教育局办公室　　2023年6月8日"), _RULE,
        ),
        "某县教育信息", 2023, 5, None, "某县教育局办公室", D(2023, 6, 8),
    ),
    HeadCase(
        "site-copyright-and-licence-lines-under-the-footer",
        (_l("您现在的位置：首页 >> 督导简报 >> 正文"), _m("教学督导简报"), _h("2023年第4期（总第31期）"),
         _l("某某大学教学督导办公室编　　2023年5月6日"), _RULE),
        "教学督导简报", 2023, 4, 31, "某某大学教学督导办公室", D(2023, 5, 6),
        tail=(*ENDING, _l("Copyright © 某某大学教务处 版权所有　地址：某市大学路1号"), _l("某ICP备12345678号-1")),
        footer=("报：县委办公室，县政府办公室", "（共印40份）"),
    ),
    HeadCase(
        "cms-editor-line-share-buttons-and-prev-next",
        (
            _l("编辑:admin 发表时间:[2019-03-12]"),
            _l("分享到：微信 微博 QQ空间"),
            _m("某乡工作动态"), _h("2019年第2期"), _l("某乡党政办　　2019年3月8日"), _RULE,
        ),
        "某乡工作动态", 2019, 2, None, "某乡党政办", D(2019, 3, 8),
        tail=(*ENDING, _l("标签：防汛 值守 安全"), _l("上一篇：某乡工作动态2019年第1期"), _l("下一篇：没有了")),
        footer=("报：县委办公室，县政府办公室", "（共印40份）"),
    ),
    HeadCase(
        "page-title-repeats-the-issue-line",
        (
            _l("某区教育信息2023年第3期"),
            _l("发布时间：2023-03-20 09:12:00　浏览次数：88"),
            _m("某区教育信息"), _h("2023年第3期"), _l("某区教育局编　　2023年3月16日"), _RULE,
        ),
        "某区教育信息", 2023, 3, None, "某区教育局", D(2023, 3, 16),
    ),
    HeadCase(
        "only-the-page-posting-date",
        (
            _l("发布时间：2022-11-03　来源：某县住建局"),
            _m("某县住建工作简报"), _h("2022年第12期"), _l("某县住房和城乡建设局"), _RULE,
        ),
        "某县住建工作简报", 2022, 12, None, "某县住房和城乡建设局", D(2022, 11, 3), uncertain=("date", "toc"),
    ),
    HeadCase(
        "location-line-and-font-size-buttons",
        (
            _l("当前位置：首页 > 信息公开 > 工作简报"),
            _l("【字体：大 中 小】【打印】【关闭】"),
            _m("某县市场监管动态"), _h("2023年第8期"), _l("某县市场监管局　　2023年8月21日"), _RULE,
        ),
        "某县市场监管动态", 2023, 8, None, "某县市场监管局", D(2023, 8, 21),
    ),
    HeadCase(
        "disclosure-table-and-phone-share-above",
        (
            _l("索引号：11330000/2023-00012　主题分类：综合政务"),
            _l("发布机构：某县政府办　　成文日期：2023-06-20"),
            _l("扫一扫在手机打开当前页"),
            _l("【大】【中】【小】"),
            _m("某县政务督查简报"), _h("2023年第6期"), _l("某县政府督查室　　2023年6月19日"), _RULE,
        ),
        "某县政务督查简报", 2023, 6, None, "某县政府督查室", D(2023, 6, 19),
    ),
    # --- tables of contents -------------------------------------------------------------------------------------
    HeadCase(
        "numbered-toc-without-heading",
        (_m("某县安全生产简报"), _h("2023年第9期"), _l("某县安委办　　2023年9月14日"), _RULE),
        "某县安全生产简报", 2023, 9, None, "某县安委办", D(2023, 9, 14), uncertain=(),
        toc=(_l("1. " + A.title), _l("2. " + B.title)),
    ),
    HeadCase(
        "numbered-toc-after-a-double-rule",
        (_m("某县消防工作简报"), _h("2023年第11期"), _l("某县消防救援大队　　2023年11月9日"), _RULE, _RULE),
        "某县消防工作简报", 2023, 11, None, "某县消防救援大队", D(2023, 11, 9), uncertain=(),
        toc=(_l("（一）" + A.title), _l("（二）" + B.title)),
    ),
    HeadCase(
        "column-labels-without-heading",
        (_m("某县应急工作简报"), _h("2023年第10期"), _l("某县应急管理局　　2023年10月9日"), _RULE),
        "某县应急工作简报", 2023, 10, None, "某县应急管理局", D(2023, 10, 9), uncertain=(),
        toc=(_l("【工作动态】"), _l("☆" + A.title), _l("【基层信息】"), _l("☆" + B.title)),
        toc_expected=(TocEntry(A.title, "工作动态"), TocEntry(B.title, "基层信息")),
        section_lines={0: "【工作动态】", 1: "【基层信息】"},
    ),
    HeadCase(
        "colon-column-labels",
        (_m("某区城管简报"), _h("2023年第6期"), _l("某区城市管理局　　2023年6月19日"), _RULE),
        "某区城管简报", 2023, 6, None, "某区城市管理局", D(2023, 6, 19), uncertain=(),
        toc=(_l("本期关注："), _l("☆" + A.title), _l("工作交流："), _l("☆" + B.title)),
        toc_expected=(TocEntry(A.title, "本期关注"), TocEntry(B.title, "工作交流")),
    ),
    HeadCase(
        "label-and-entry-on-one-line",
        (_m("某县文旅简报"), _h("2023年第5期"), _l("某县文化和旅游局　　2023年5月22日"), _RULE),
        "某县文旅简报", 2023, 5, None, "某县文化和旅游局", D(2023, 5, 22), uncertain=(),
        toc=(("tocheading", "本期要目"), _l("本期关注：" + A.title), _l("【基层动态】" + B.title)),
        toc_expected=(TocEntry(A.title, "本期关注"), TocEntry(B.title, "基层动态")),
    ),
    HeadCase(
        "sub-items-under-a-star-item",
        (_m("某市防汛简报"), _h("2023年第12期"), _l("某市防汛办　　2023年7月28日"), _RULE),
        "某市防汛简报", 2023, 12, None, "某市防汛办", D(2023, 7, 28), uncertain=(),
        toc=(("tocheading", "本期要目"), _l("☆" + A.title), _l("☆各地动态"), _l("○" + B.title), _l("○" + C.title)),
        toc_expected=(TocEntry(A.title), TocEntry(B.title, "各地动态"), TocEntry(C.title, "各地动态")),
        pieces=(A, B, C),
        section_lines={1: "各地动态"},
    ),
    HeadCase(
        "spaced-mu-lu-heading",
        (_m("某县环保简报"), _h("2023年第4期"), _l("某县生态环境分局　　2023年4月25日"), _RULE),
        "某县环保简报", 2023, 4, None, "某县生态环境分局", D(2023, 4, 25), uncertain=(),
        toc=(("tocheading", "目　录"), _l("一、" + A.title), _l("二、" + B.title)),
    ),
    # --- dated reports without a number -------------------------------------------------------------------------
    HeadCase(
        "daily-report-date-in-brackets",
        (_m("某市河湖长制工作每日动态(2022年7月5日)"), _l("某市河长办"), _RULE),
        "某市河湖长制工作每日动态", 2022, None, None, "某市河长办", D(2022, 7, 5), uncertain=("year", "toc"),
    ),
    HeadCase(
        "weekly-report-date-range",
        (_m("某县重点项目工作周报（2023年6月5日—6月11日）"), _l("某县发展和改革局"), _RULE),
        "某县重点项目工作周报", 2023, None, None, "某县发展和改革局", D(2023, 6, 5), uncertain=("year", "toc"),
    ),
    HeadCase(
        "week-number-and-byline-date",
        (_m("某区安全生产动态 2023年第15周"), _l("某区应急管理局　　2023年4月14日"), _RULE),
        "某区安全生产动态", 2023, None, None, "某区应急管理局", D(2023, 4, 14), week=15,
    ),
    HeadCase(
        "week-number-on-its-own-line",
        (_m("某县招商工作动态"), _h("2023年第22周"), _l("某县招商局　　2023年6月2日"), _RULE),
        "某县招商工作动态", 2023, None, None, "某县招商局", D(2023, 6, 2), week=22,
    ),
    HeadCase(
        "daily-report-date-on-the-line-below",
        (_m("某县防汛工作日报"), _h("（2023年7月12日）"), _l("某县防汛抗旱指挥部办公室"), _RULE),
        "某县防汛工作日报", 2023, None, None, "某县防汛抗旱指挥部办公室", D(2023, 7, 12), uncertain=("year", "toc"),
    ),
    HeadCase(
        "daily-report-with-a-mark",
        (_l("内部资料"), _m("某市防疫每日动态（2022年3月1日）"), _l("某市防控办编"), _RULE),
        "某市防疫每日动态", 2022, None, None, "某市防控办", D(2022, 3, 1), marks=("内部资料",),
        uncertain=("year", "toc"),
    ),
    HeadCase(
        "weekly-report-dotted-date-range",
        (_m("某校安全工作周报（2023.9.4—9.10）"), _l("某校保卫处"), _RULE),
        "某校安全工作周报", 2023, None, None, "某校保卫处", D(2023, 9, 4), uncertain=("year", "toc"),
    ),
    HeadCase(
        "week-number-without-a-year-and-day-range",
        (_m("某区项目建设工作周报"), _h("第23周（6月5日—6月11日）"), _l("某区重点办　　2023年6月12日"), _RULE),
        "某区项目建设工作周报", 2023, None, None, "某区重点办", D(2023, 6, 12), week=23,
        uncertain=("year", "toc"),
    ),
    # --- footers -----------------------------------------------------------------------------------------------
    HeadCase(
        "distribution-over-several-lines-and-print-run",
        (_m("某县交通运输简报"), _h("2023年第3期"), _l("某县交通运输局　　2023年3月30日"), _RULE),
        "某县交通运输简报", 2023, 3, None, "某县交通运输局", D(2023, 3, 30),
        tail=(_RULE, _l("报：市交通运输局，"), _l("县委办公室，县政府办公室"), _l("送：县直各有关单位"),
              _l("发：各乡镇交通管理站"), _l("（共印30份）")),
    ),
    HeadCase(
        "editor-reviewer-signer-line",
        (_m("某区税务工作简报"), _h("2023年第2期"), _l("某区税务局办公室　　2023年2月20日"), _RULE),
        "某区税务工作简报", 2023, 2, None, "某区税务局办公室", D(2023, 2, 20),
        tail=(_RULE, _l("责任编辑：某某　审核：某某　签发：某某"), _l("（共印25份）")),
    ),
    HeadCase(
        "editors-line-stays-in-the-footer",
        (_m("某县司法行政简报"), _h("2023年第5期"), _l("某县司法局办公室　　2023年5月15日"), _RULE),
        "某县司法行政简报", 2023, 5, None, "某县司法局办公室", D(2023, 5, 15),
        tail=(_RULE, _l("主编：王某　责编：李某　编辑：赵某"), _l("（共印35份）")),
    ),
    HeadCase(
        "distribution-on-one-line",
        (_m("某县水务简报"), _h("2023年第8期"), _l("某县水务局　　2023年8月8日"), _RULE),
        "某县水务简报", 2023, 8, None, "某县水务局", D(2023, 8, 8),
        tail=(_RULE, _l("报：市水务局　送：县政府办公室　发：各乡镇")),
    ),
    HeadCase(
        "sign-off-then-distribution",
        (_m("某街道工作简报"), _h("2023年第6期"), _l("2023年6月16日"), _RULE),
        "某街道工作简报", 2023, 6, None, "某街道办事处", D(2023, 6, 16), uncertain=("publisher", "toc"),
        tail=(_l("某街道办事处"), _l("2023年6月16日"), _RULE, _l("报：区委办公室"), _l("（共印20份）")),
    ),
    # --- the forms combined ----------------------------------------------------------------------------------
    HeadCase(
        "combined-page-mark-two-line-masthead-brackets-colon-labels-sign-off",
        (
            _l("当前位置：首页 > 教学管理 > 督导简报"),
            _l("发布时间：2023-06-02　作者：教务处　浏览次数：301"),
            _l("内部资料"), _m("某某大学"), _m("教学督导简报"), _h("2023年第〔5〕期（总第【31】期）"), _RULE,
        ),
        "某某大学教学督导简报", 2023, 5, 31, "某某大学教务处", D(2023, 5, 30), marks=("内部资料",),
        uncertain=("publisher", "date"),
        toc=(_l("本期关注："), _l("1. " + A.title), _l("工作交流："), _l("2. " + B.title)),
        toc_expected=(TocEntry(A.title, "本期关注"), TocEntry(B.title, "工作交流")),
        tail=(_l("某某大学教务处"), _l("2023年5月30日"), _l("上一篇：教学督导简报2023年第4期")),
        footer=("某某大学教务处", "2023年5月30日"),
    ),
    HeadCase(
        "combined-weekly-in-book-marks-with-chrome-sub-items-and-footer",
        (
            _l("首页 > 信息公开 > 工作周报"),
            _m("《某区项目建设周报》（2023年6月5日—6月11日）"), _l("主办单位：某区发展和改革局"), _RULE,
        ),
        "某区项目建设周报", 2023, None, None, "某区发展和改革局", D(2023, 6, 5), uncertain=("year",),
        toc=(("tocheading", "目　录"), _l("☆" + A.title), _l("☆基层动态"), _l("-" + B.title), _l("-" + C.title)),
        toc_expected=(TocEntry(A.title), TocEntry(B.title, "基层动态"), TocEntry(C.title, "基层动态")),
        pieces=(A, B, C),
        section_lines={1: "基层动态"},
        tail=(_RULE, _l("报：区委办公室"), _l("送：区政府办公室，"), _l("区直有关单位"), _l("（共印15份）"),
              _l("分享到：微信 微博")),
        footer=("报：区委办公室", "送：区政府办公室，", "区直有关单位", "（共印15份）"),
    ),
    HeadCase(
        "combined-secret-glued-number-publisher-date-one-line-numbered-toc",
        (_l("秘密"), _m("政务信息参考第2期　某县政府办编　2024年2月2日"), _RULE),
        "政务信息参考", 2024, 2, None, "某县政府办", D(2024, 2, 2), marks=("秘密",), uncertain=("year",),
        toc=(_l("一、" + A.title), _l("二、" + B.title)),
    ),
)
# fmt: on
