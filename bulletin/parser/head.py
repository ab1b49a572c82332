"""The head of a bulletin (刊头): masthead, handling marks, issue line, publisher and date; and web-page chrome.

Offices lay their heads out in many ways. The rules here read, within the first MAX_FRONT_BLOCKS blocks only:

- an issue line anywhere in a line ("政策研究室编 第3期(总第15期) 2019年4月2日", "政策研究信息第17期",
  "2021年第〔4〕期总第【36】期", "2023年 第3期"), also run together with the first article on one line;
- a dated report's head instead of an issue number ("某市河湖长制工作每日动态(2022年7月5日)",
  "XX工作周报（2023年6月5日—6月11日）", "XX动态 2023年第15周");
- a masthead over one to three lines, in 《》 or not, with handling marks (内部资料, 注意保存, 秘密) kept apart;
- a publisher from "XX编/编印/编发/主办", "主办单位：XX", "编印单位：XX" or a bare unit name beside the date.

Site chrome (breadcrumbs, "发布日期：… 来源：… 点击：…", share buttons, tag clouds, 上一篇/下一篇) is dropped
everywhere by `drop_chrome`, line by line; a page's posting date is kept only as a fallback for the issue date.
Every field that was inferred rather than read is named in `Front.inferred`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from bulletin.parser.blocks import Block
from bulletin.parser.textutil import CLOSERS, body_like, cn_number, collapse_spaces, is_rule, join_wrapped, strip_all

_OPEN = r"[(（\[【〔〖［]"
_CLOSE = r"[)）\]】〕〗］]"
_CN_YEAR = r"[〇零○Ｏ一二三四五六七八九]{4}"
_CN_NUM = r"[〇零一二三四五六七八九十百千两]{1,8}"
_ISSUE_RE = re.compile(
    rf"(?:{_OPEN}\s*)?(?:(?P<year>\d{{4}}|{_CN_YEAR})\s*(?:年\s*(?:度\s*)?|{_CLOSE}\s*))?"
    rf"第\s*(?:{_OPEN}\s*)?(?P<number>\d{{1,4}}|{_CN_NUM})\s*(?:{_CLOSE}\s*)?期(?:\s*{_CLOSE})?"
    rf"(?:[\s,，、;；]*(?:{_OPEN}\s*)?总\s*(?:第\s*)?(?:{_OPEN}\s*)?(?P<total>\d{{1,5}}|{_CN_NUM})"
    rf"\s*(?:{_CLOSE}\s*)?期(?:\s*{_CLOSE})?)?"
)
_TOTAL_ONLY = re.compile(rf"^{_OPEN}?\s*总\s*(?:第\s*)?(?P<total>\d{{1,5}}|{_CN_NUM})\s*期\s*{_CLOSE}?$")
_WEEK_RE = re.compile(
    r"(?:(?P<year>\d{4})\s*年\s*(?:度\s*)?)?第\s*(?P<week>\d{1,2}|[一二三四五六七八九十]{1,3})\s*周"
)  # the year may be left to the date: "第23周（6月5日—6月11日）"
# The days a week covers, without the year: "（6月5日—6月11日）".
_DAY_RANGE = re.compile(
    rf"^{_OPEN}?\s*\d{{1,2}}\s*[月.．/-]\s*\d{{1,2}}\s*日?\s*[—–\-~～至到]+\s*(?:\d{{1,2}}\s*[月.．/-]\s*)?"
    rf"\d{{1,2}}\s*日?\s*{_CLOSE}?$"
)
_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"),
    re.compile(
        rf"(?P<y>{_CN_YEAR})\s*年\s*(?P<m>[一二三四五六七八九十]{{1,3}})\s*月\s*(?P<d>[一二三四五六七八九十]{{1,3}})\s*日"
    ),
    re.compile(r"(?<![\d.])(?P<y>\d{4})\s*(?P<sep>[-/.．])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})(?![\d.])"),
)
# The end of a date range after its first date: "—6月11日", "至2023年6月11日".
_RANGE_END = re.compile(
    r"^[\s—–\-~～至到]+(?:\d{4}\s*(?:年|[-/.．])\s*)?(?:\d{1,2}\s*(?:月|[-/.．])\s*)?\d{1,2}\s*日?\s*$"
)  # also the dotted form "2023.9.4—9.10"
# A byline whose date names only the month ("某县科协　2023年4月"): no date, but the rest is the publisher.
_MONTH_ONLY = re.compile(r"(?<![\d.])\d{4}\s*年\s*\d{1,2}\s*月\s*$")
# A handling mark in brackets after the masthead on its line: "某县纪检监察简报（内部资料）".
_BRACKETED_MARK = re.compile(rf"\s*{_OPEN}\s*(?P<mark>[^()（）\[\]【】〔〕]{{2,8}})\s*{_CLOSE}\s*$")

TOC_HEADINGS = {"本期要目", "本期目录", "目录", "要目", "本期导读", "本期提要", "目次", "本期目次"}
_DECORATION = "≡═=～~—–-_*＊·•●○◆◇■□★☆▲△▼▽【】[]〖〗〔〕<>＜＞《》|｜ \t\u3000:：()（）"
_LABEL_WORDS = (
    "内部资料", "内部刊物", "内部参阅", "注意保存", "妥善保管", "秘密", "机密", "绝密", "此件", "特急", "加急",
)  # fmt: skip
ORG_SUFFIX = re.compile(
    r"(?:办公室|办|局|委员会|委|厅|部|处|科|中心|政府|小组|组|院|所|站|队|馆|社|公司|集团|协会|联合会|党委|支部|"
    r"编辑部|大学|学院|学校|医院)$"
)
_PUBLISHER_PREFIX = re.compile(
    r"^(?:主办单位|承办单位|编印单位|编发单位|主编单位|编辑单位|主办|编印|编发|编辑|编)\s*[:：]\s*"
)
_SECOND_UNIT = re.compile(r"\s+(?:承办|协办|支持|印刷)(?:单位)?\s*[:：]")
_PUBLISHER_SUFFIX = re.compile(r"\s*(?:编印|编发|主办|(?<![汇选续新])编)$")
# Words a periodical's name ends with; they split a masthead from a publisher glued onto it.
_PERIODICAL = re.compile(
    r"(?:简报|动态|周报|日报|月报|旬报|季报|快报|专报|快讯|简讯|信息|要情|通讯|参考|参阅|资讯|摘报|情况|通报|导刊|"
    r"交流|内参|周刊|月刊|专刊|增刊|要报|信息参考)"
)
_PERIODICAL_END = re.compile(rf"{_PERIODICAL.pattern}$")
_MASTHEAD_BRACKETS = "《》〈〉"
_SENTENCE_END = "。！？!?；;…"
# First article run together with the head: its title ends with a document-type word.
_DOC_TITLE = re.compile(r"^.{4,40}?(?:通知|通报|意见|方案|报告|决定|办法|要点|纪要|讲话|总结|情况|公告|启事)")

# --- web-page chrome -------------------------------------------------------------------------------------

_META_KEYS = (
    r"(?:发布日期|发布时间|发表时间|发文日期|更新时间|时间|日期|来源|信息来源|作者|编辑|责编|"
    r"点击|点击数|点击量|浏览|浏览次数|浏览量|阅读|阅读次数|阅读量|访问量|字号|字体)"
)
_META_KEY_RE = re.compile(rf"{_META_KEYS}\s*[:：]")
_WEB_META_RE = re.compile(r"(?:发布|发表|更新|时间|日期|来源|点击|浏览|阅读|访问|字号|字体)\s*[:：]")
_META_STRICT = re.compile(
    r"^[【\[]?\s*(?:发布日期|发布时间|发表时间|更新时间|点击|点击数|点击量|浏览次数|浏览量|阅读次数|阅读量|访问量)\s*[:：]"
)
_CHROME_LINE = re.compile(
    r"^(?:当前位置|您的位置|您现在的位置|你的位置|所在位置|位置)\s*[:：]"
    r"|^首页\s*[>»›/＞]"
    r"|^(?:上一篇|下一篇|上一条|下一条)\s*[:：]?"
    r"|^(?:分享到|分享至|一键分享|扫一扫)"
    r"|^(?:标签|相关标签|热门标签|TAG标签|Tags?)\s*[:：]"
    r"|^(?:Copyright|版权所有|©)|ICP备\s*\d|公网安备\s*\d"  # the site's own footer
    r"|^[【\[]?\s*(?:字体|字号)?\s*[:：]?\s*[【\[]?\s*大\s*[】\]]?\s*[【\[]?\s*中\s*[】\]]?\s*[【\[]?\s*小(?:[】\]\s]|$)"
    r"|^[【\[]?\s*(?:打印本页|打印|关闭窗口|关闭|收藏|返回顶部|返回)\s*[】\]]?(?:\s*[【\[]?\s*(?:打印本页|打印|关闭窗口|关闭|收藏|返回顶部|返回)\s*[】\]]?)*$",
    re.IGNORECASE,
)
# A government site's disclosure table (索引号 … 主题分类 …, 发布机构 … 成文日期 …), colons or not.
_DISCLOSURE_KEY_RE = re.compile(
    r"(?:索引号|主题分类|信息分类|发布机构|发布单位|发文机关|发文单位|成文日期|发文日期|发布日期|公开日期|文号|"
    r"时效|有效性|公开方式|公开范围|公开形式)\s*[:：]?"
)
_SHARE_WORDS = {
    "微信", "微博", "新浪微博", "腾讯微博", "QQ", "QQ空间", "朋友圈", "豆瓣", "人人网", "复制链接", "分享", "扫一扫",
}  # fmt: skip
_CRUMB_RE = re.compile(r"\s*[>»›＞]\s*")
MAX_CHROME_CHARS = 200

MAX_FRONT_BLOCKS = 15
_FIELDS = ("masthead", "year", "number", "total_number", "publisher", "date", "toc", "articles", "footer")


@dataclass
class Front:
    """What the head says; END is the index of the first block after it."""

    masthead: str = ""
    year: int | None = None
    number: int | None = None
    total: int | None = None
    publisher: str | None = None
    date: dt.date | None = None
    week: int | None = None
    marks: list[str] = field(default_factory=list)
    found: bool = False  # an issue line or a dated report's head was read
    end: int = 0
    warnings: list[str] = field(default_factory=list)
    inferred: set[str] = field(default_factory=set)

    def uncertain(self) -> tuple[str, ...]:
        """The inferred fields in `Issue.to_json_dict` key order."""
        return tuple(name for name in _FIELDS if name in self.inferred)


# --- chrome ----------------------------------------------------------------------------------------------


def drop_chrome(blocks: list[Block]) -> tuple[list[Block], dt.date | None]:
    """Blocks without the lines of a web page's chrome, and the page's posting date if one was printed."""
    kept: list[Block] = []
    posted: dt.date | None = None
    for block in blocks:
        text = collapse_spaces(block.text)
        if len(text) <= MAX_CHROME_CHARS and is_chrome(text):
            if posted is None and _META_KEY_RE.search(text):
                found = find_date(text)
                posted = found[0] if found else None
            continue
        kept.append(block)
    return kept, posted


def is_chrome(text: str) -> bool:
    """A line of site chrome: breadcrumb, posting metadata, share buttons, tag cloud, 上一篇/下一篇."""
    if _CHROME_LINE.search(text) or _META_STRICT.search(text):
        return True
    if len(_META_KEY_RE.findall(text)) >= 2 and _WEB_META_RE.search(text):
        return True  # "来源：… 作者：…", "编辑:admin 发表时间:[2019-03-12]"; not a footer's "主编：… 编辑：…"
    if _DISCLOSURE_KEY_RE.match(text) and len(_DISCLOSURE_KEY_RE.findall(text)) >= 2:
        return True
    words = [w for w in re.split(r"[\s|｜/、]+", text) if w]
    if words and all(w in _SHARE_WORDS for w in words):
        return True
    crumbs = _CRUMB_RE.split(text)
    return len(crumbs) >= 3 and all(0 < len(c) <= 12 for c in crumbs)


# --- small readers ---------------------------------------------------------------------------------------


def find_date(text: str) -> tuple[dt.date, int, int] | None:
    """The first valid date in TEXT, with its span."""
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            year, month, day = (cn_number(m.group(g)) for g in ("y", "m", "d"))
            if year is None or month is None or day is None or not 1900 <= year <= 2200:
                continue
            try:
                return dt.date(year, month, day), m.start(), m.end()
            except ValueError:
                continue
    return None


def byline_date(text: str) -> tuple[dt.date, int, int] | None:
    """The date of a byline (publisher and/or date); a dated sentence of body text is no byline."""
    if len(text) > 60 or body_like(text):
        return None
    return find_date(text)


def is_label(text: str) -> bool:
    """A handling-mark line (内部资料, 注意保存, 秘密 …)."""
    stripped = collapse_spaces(text)
    return len(stripped) <= 20 and any(word in stripped for word in _LABEL_WORDS)


def _marks_of(text: str) -> list[str]:
    tokens = re.split(r"[\s　]+", collapse_spaces(text))
    return [t.strip("()（）[]【】〔〕★☆") for t in tokens if any(word in t for word in _LABEL_WORDS)]


def is_toc_heading(text: str) -> bool:
    """本期要目, 目 录, 【本期目录】 … as a line of its own."""
    core = strip_all(text).strip(_DECORATION)
    return re.sub(r"\s+", "", core) in TOC_HEADINGS


def clean_publisher(text: str) -> str:
    """ "主办单位：XX" / "XX编印" -> "XX"."""
    text = collapse_spaces(text)
    text = _PUBLISHER_PREFIX.sub("", text)
    text = _SECOND_UNIT.split(text, maxsplit=1)[0]  # "主办：XX　承办：YY": the 主办 unit publishes
    return _PUBLISHER_SUFFIX.sub("", text) or text


def _publisher_form(text: str) -> bool:
    """Says it is a publisher: "主办单位：XX" or "XX编印" (not a bare 编)."""
    text = collapse_spaces(text)
    if _PUBLISHER_PREFIX.match(text):
        return len(text) <= 50
    return 3 <= len(text) <= 40 and bool(_PUBLISHER_SUFFIX.search(text)) and not body_like(text)


def is_org(text: str) -> bool:
    """A bare unit name: short, no sentence punctuation, ends like an office's name."""
    text = collapse_spaces(text)
    return 2 < len(text) <= 30 and not any(ch in text for ch in "，。；：:,") and bool(ORG_SUFFIX.search(text))


# --- the head --------------------------------------------------------------------------------------------


@dataclass
class _Anchor:
    index: int
    prefix: str
    rest: str
    year: int | None = None
    number: int | None = None
    total: int | None = None
    date: dt.date | None = None
    week: int | None = None


def parse_front(blocks: list[Block]) -> tuple[Front, list[Block]]:
    """Read the head; the blocks come back with a run-together head line split off its first article."""
    front = Front()
    region = blocks[:MAX_FRONT_BLOCKS]
    anchor = _find_issue(region) or _find_dated(region)
    if anchor is None:
        return _fallback_front(blocks), blocks
    front.found = True
    front.number, front.year, front.total, front.week = anchor.number, anchor.year, anchor.total, anchor.week
    if anchor.date is not None:
        front.date = anchor.date
    masthead_parts = _read_prefix(front, anchor.prefix)
    front.masthead = _masthead(front, blocks[: anchor.index], masthead_parts)
    extra = _read_rest(front, anchor.rest) if anchor.rest else []
    if extra:
        if len(extra) > 1:
            # The run-on heading takes the layout of the document's next styled block (its headings').
            after = blocks[anchor.index + 1 : anchor.index + 1 + 4 * MAX_FRONT_BLOCKS]
            like = next((b for b in after if b.styled), extra[0])
            extra[0] = Block(extra[0].text, bold=like.bold, centred=like.centred, large=like.large)
        blocks = [*blocks[: anchor.index + 1], *extra, *blocks[anchor.index + 1 :]]
        front.end = anchor.index + 1
    else:
        front.end = _read_byline(front, blocks, anchor.index + 1)
    return front, blocks


def _find_issue(region: list[Block]) -> _Anchor | None:
    found: list[_Anchor] = []
    for index, block in enumerate(region):
        text = collapse_spaces(block.text)
        for m in _ISSUE_RE.finditer(text[:300]):
            prefix, rest = text[: m.start()], text[m.end() :]
            if not _issue_context(prefix, rest, m):
                continue
            found.append(
                _Anchor(
                    index,
                    prefix,
                    rest,
                    year=cn_number(m.group("year")) if m.group("year") else None,
                    number=cn_number(m.group("number")),
                    total=cn_number(m.group("total")) if m.group("total") else None,
                )
            )
            break
        if len(found) == 2:
            break
    if not found:
        return None
    first = found[0]
    # A web page's title often repeats the issue line just above the bulletin's own head: the later one wins.
    if len(found) == 2 and found[1].number == first.number and found[1].index - first.index <= 4:
        return found[1]
    return first


def _issue_context(prefix: str, rest: str, m: re.Match[str]) -> bool:
    """An issue line, not "第3期培训班" in a sentence."""
    if len(prefix) > 50 or any(ch in prefix for ch in "，。；！？,;"):
        return False
    if prefix.rstrip(" (（[【〔〖［").endswith("总"):
        return False  # "（总第1期）" on a line of its own is the cumulative number, not an issue line
    if rest and not rest[0].isspace() and rest[0] not in "，,、" and not re.match(_OPEN, rest):
        # Glued to what follows: only a full issue line (year or total) starts a run-together head.
        return bool(m.group("year") or m.group("total")) or find_date(rest[:20]) is not None
    return True


def _find_dated(region: list[Block]) -> _Anchor | None:
    """A dated report's head: a periodical's name with a date, a date range or a week, and no issue number."""
    for index, block in enumerate(region):
        text = collapse_spaces(block.text)
        if body_like(text):
            return None  # the text has begun: a dated head comes before it
        if len(text) > 60:
            continue
        week = _WEEK_RE.search(text)
        found = find_date(text)
        if week is not None:
            name, after = text[: week.start()], text[week.end() :]
        elif found is not None:
            name, after = text[: found[1]], text[found[2] :]
        else:
            continue
        name = name.strip().rstrip("(（[【〔 ").strip()
        after = after.strip().rstrip(")）]】〕").strip()
        if (
            after
            and not _RANGE_END.match(after)
            and not (week is not None and (find_date(after) or _DAY_RANGE.match(after)))
        ):
            continue
        if not name and index > 0:
            name = collapse_spaces(region[index - 1].text)  # the name on the line above, the date below
            bracketed = re.match(rf"^{_OPEN}", text) is not None or week is not None
            if not bracketed or not _names_periodical(name):
                continue
            anchor = _Anchor(index, "", "")
        elif _names_periodical(name):
            anchor = _Anchor(index, name, "")
        else:
            continue
        if week is not None:
            anchor.year = int(week.group("year")) if week.group("year") else None
            anchor.week = cn_number(week.group("week"))
            if after and found is None:
                found = find_date(after)
        if found is not None:
            anchor.date = found[0]
        return anchor
    return None


def _names_periodical(name: str) -> bool:
    name = name.strip(_MASTHEAD_BRACKETS + " ")
    return 2 <= len(name) <= 40 and bool(_PERIODICAL_END.search(name)) and not any(ch in name for ch in "，。；")


def _read_prefix(front: Front, prefix: str) -> list[str]:
    """Marks, publisher and date in front of the issue line; returns the masthead pieces."""
    parts: list[str] = []
    for token in prefix.split():
        token = token.strip()
        if not token:
            continue
        if is_label(token):
            front.marks += _marks_of(token)
            continue
        total = _TOTAL_ONLY.match(token)
        if total is not None:
            front.total = front.total or cn_number(total.group("total"))  # "总第15期 2023年第3期"
            continue
        found = find_date(token)
        if found is not None and front.date is None:
            front.date = found[0]
            token = strip_all(token[: found[1]] + token[found[2] :])
            if not token:
                continue
        if _publisher_form(token):
            masthead, publisher = _split_glued(token)
            if masthead:
                parts.append(masthead)
                front.inferred.add("masthead")
            if front.publisher is None:
                front.publisher = publisher
            continue
        parts.append(token)
    return parts


def _split_glued(token: str) -> tuple[str, str]:
    """ "某县水利简报某县水利局综合科编" -> ("某县水利简报", "某县水利局综合科"); a plain "XX编" has no masthead."""
    if _PUBLISHER_PREFIX.match(token):
        return "", clean_publisher(token)
    core = _PUBLISHER_SUFFIX.sub("", token)
    cut = 0
    for m in _PERIODICAL.finditer(core):
        if m.end() < len(core) - 1:
            cut = m.end()
    if cut:
        return core[:cut].strip(_MASTHEAD_BRACKETS), core[cut:]
    return "", core


def _masthead(front: Front, before: list[Block], prefix_parts: list[str]) -> str:
    run: list[Block] = []
    for block in reversed(before):
        text = collapse_spaces(block.text)
        if is_rule(text):
            if run:
                break
            continue
        mark = _BRACKETED_MARK.search(text) if len(text) <= 40 else None
        if mark is not None and is_label(mark.group("mark")) and _names_periodical(text[: mark.start()]):
            front.marks[:0] = _marks_of(mark.group("mark"))
            text = text[: mark.start()]
            block = replace(block, text=text)
        elif is_label(text):
            front.marks[:0] = _marks_of(text)
            if run:
                break
            continue
        if _publisher_form(text):
            if front.publisher is None:
                front.publisher = clean_publisher(text)  # "主办单位：XX" above the issue line
            continue
        if len(text) > 40 or any(ch in text for ch in ">»|›") or find_date(text) or _ISSUE_RE.search(text):
            break
        run.insert(0, block)
        if len(run) == 3:
            break
    if any(b.styled for b in run) and not all(b.styled for b in run):
        run = [b for b in run if b.styled]
    lines = [_unspaced(collapse_spaces(b.text)).strip(_MASTHEAD_BRACKETS) for b in run]
    lines = [line for line in lines if line]
    if len(lines) == 2 and _PERIODICAL.search(lines[0]) and is_org(lines[1]) and not _PERIODICAL.search(lines[1]):
        # "教育改革动态" over "某某大学": the unit's name heads the masthead.
        lines.reverse()
        front.inferred.add("masthead")
    masthead = ""
    for line in [*lines, *(p.strip(_MASTHEAD_BRACKETS) for p in prefix_parts)]:
        masthead = join_wrapped(masthead, line)
    return masthead


def _unspaced(text: str) -> str:
    """A letter-spaced masthead ("工 作 简 报") without its spaces."""
    tokens = text.split()
    if len(tokens) >= 3 and all(len(t) <= 2 for t in tokens):
        return "".join(tokens)
    return text


def _read_rest(front: Front, rest: str) -> list[Block]:
    """Publisher and date after the issue line; a first article run onto the same line comes back as blocks."""
    tokens = rest.split()
    if len(tokens) == 1 and len(tokens[0]) > 20:
        tokens = _split_run(tokens[0])
    tokens = [piece for token in tokens for piece in _split_at_date(token)]
    index = 0
    while index < len(tokens):
        token = tokens[index]
        found = find_date(token[:24])  # only a date that starts the token counts: no need to scan an article
        if found is not None and found[1] == 0 and front.date is None:
            front.date = found[0]
            token = strip_all(token[found[2] :])
            if token:
                tokens[index] = token
                continue
            index += 1
            continue
        if len(token) <= 40 and (_publisher_form(token) or is_org(token)) and front.publisher is None:
            front.publisher = clean_publisher(token)
            index += 1
            continue
        if is_label(token):
            front.marks += _marks_of(token)
            index += 1
            continue
        break
    remainder = tokens[index:]
    if not remainder:
        return []
    joined = " ".join(remainder)
    if len(joined) <= 40 and not body_like(joined) and _DOC_TITLE.match(joined) is None:
        if front.publisher is None:
            front.publisher = clean_publisher(joined)
        else:
            front.warnings.append(f'unrecognised text on the issue line: "{joined}"')
        return []
    return _run_blocks(_split_article(remainder))


def _split_at_date(token: str) -> list[str]:
    """"某县政府办编2024年2月2日" (PDF text loses the space) -> the unit, then the date."""
    if len(token) > 40:
        return [token]
    found = find_date(token)
    if found is None or found[1] == 0:
        return [token]
    return [token[: found[1]], token[found[1] :]]


def _split_run(text: str) -> list[str]:
    """A head run together without spaces: publisher, date, then the first article."""
    out: list[str] = []
    found = find_date(text[:20])
    if found is not None and found[1] == 0:
        out.append(text[: found[2]])
        text = text[found[2] :]
    out.append(text)
    return out


def _split_article(tokens: list[str]) -> list[str]:
    """The first article's heading and text, run onto the head line."""
    if len(tokens) > 1:
        return tokens
    text = tokens[0]
    m = _DOC_TITLE.match(text)
    if m is not None and m.end() < len(text):
        return [text[: m.end()], text[m.end() :]]
    return [text]


def _run_blocks(parts: list[str]) -> list[Block]:
    """Blocks for an article run onto the head line; its heading gets a heading's layout hints."""
    if len(parts) < 2:
        return [Block(p) for p in parts]
    return [Block(parts[0], bold=True, centred=True), *(Block(p) for p in parts[1:])]


def _read_byline(front: Front, blocks: list[Block], start: int) -> int:
    """Total number, publisher, date and marks on the lines after the issue line; returns where the head ends."""
    j = start
    content_seen = 0
    while j < len(blocks) and content_seen < 3 and j < start + MAX_FRONT_BLOCKS:
        text = collapse_spaces(blocks[j].text)
        if is_rule(text):
            j += 1
            if front.date is not None or front.publisher is not None:
                break
            continue
        if is_label(text):
            front.marks += _marks_of(text)
            j += 1
            continue
        if is_toc_heading(text):
            break
        total = _TOTAL_ONLY.match(text)
        if total is not None and front.total is None:
            front.total = cn_number(total.group("total"))  # 总第N期 on a line of its own
            j += 1
            continue
        if front.week is None and front.number is None:
            week = _WEEK_RE.fullmatch(text.strip("()（）"))
            if week is not None:
                front.week = cn_number(week.group("week"))
                j += 1
                continue
        found = byline_date(text)
        if found is not None and front.date is None:
            _take_publisher_date(front, text, found)
            j += 1
            content_seen += 1
            continue
        month = _MONTH_ONLY.search(text) if front.date is None and len(text) <= 60 else None
        if month is not None:
            unit = collapse_spaces(text[: month.start()])
            if not unit or _publisher_form(unit) or is_org(_PUBLISHER_SUFFIX.sub("", unit)):
                if unit and front.publisher is None:
                    front.publisher = clean_publisher(unit)
                j += 1
                content_seen += 1
                continue
        if front.publisher is None and _publisher_like(blocks, j, front):
            front.publisher = clean_publisher(text)
            j += 1
            content_seen += 1
            continue
        break
    return j


def _take_publisher_date(front: Front, text: str, found: tuple[dt.date, int, int]) -> None:
    front.date = found[0]
    remainder = collapse_spaces(text[: found[1]] + " " + text[found[2] :])
    for token in remainder.split():
        if is_label(token):
            front.marks += _marks_of(token)
            remainder = collapse_spaces(remainder.replace(token, " "))
    if remainder and front.publisher is None and len(remainder) <= 60:
        front.publisher = clean_publisher(remainder)


def _publisher_like(blocks: list[Block], index: int, front: Front) -> bool:
    text = collapse_spaces(blocks[index].text)
    if len(text) > 50 or text.rstrip(CLOSERS)[-1:] in _SENTENCE_END:
        return False
    if _publisher_form(text):
        return True
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    if following is not None and front.date is None and _dated_byline(following.text):
        return True
    # Without a date beside it, only a line that closes the front matter counts (else it may be a heading).
    closes = following is None or is_rule(following.text) or is_toc_heading(following.text)
    # In a styled document a plain line right above a styled one (a heading) closes the head as well.
    closes = closes or (following is not None and following.styled and not blocks[index].styled)
    return closes and is_org(_PUBLISHER_SUFFIX.sub("", text))


def _dated_byline(text: str) -> bool:
    """A date line below a publisher's line: a full date, or only the year and month ("2023年2月")."""
    if byline_date(text) is not None:
        return True
    text = collapse_spaces(text)
    month = _MONTH_ONLY.search(text)
    return month is not None and month.start() == 0


def _fallback_front(blocks: list[Block]) -> Front:
    """No issue line: the best reading of the head, for an error's partial issue (number None)."""
    front = Front()
    region = blocks[:MAX_FRONT_BLOCKS]
    anchor = next((i for i, b in enumerate(region) if byline_date(collapse_spaces(b.text))), None)
    if anchor is not None and anchor <= 4:
        front.masthead = _masthead(front, blocks[:anchor], [])
        front.end = _read_byline(front, blocks, anchor)
    elif region and len(strip_all(region[0].text)) <= 30 and not body_like(region[0].text):
        front.masthead = collapse_spaces(region[0].text).strip(_MASTHEAD_BRACKETS)
        front.end = _read_byline(front, blocks, 1)
    if front.masthead:
        front.inferred.add("masthead")
    return front


# --- sign-off --------------------------------------------------------------------------------------------


def find_sign_off(blocks: list[Block], low: int, high: int) -> tuple[int, str, dt.date | None] | None:
    """A report's sign-off among blocks[low:high] (a unit's name, then the date, on the last lines)."""
    for index in range(high - 1, max(low, high - 6) - 1, -1):
        text = collapse_spaces(blocks[index].text)
        if is_rule(text) or len(text) > 40:
            continue
        found = find_date(text)
        if found is not None and found[1] > 0:
            unit = collapse_spaces(text[: found[1]])
            if is_org(unit) and not strip_all(text[found[2] :]):
                return index, unit, found[0]
        if found is not None and found[1] == 0 and not strip_all(text[found[2] :]) and index - 1 >= low:
            unit = collapse_spaces(blocks[index - 1].text)
            if is_org(unit):
                return index - 1, unit, found[0]
    return None
