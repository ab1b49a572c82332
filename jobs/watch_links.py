"""Pure recognition for the website watch: what a fetched source is (index page, feed, document), which of its
links are issues of the bulletin, and the date an item carries. No I/O here.

An index page's links are issues when they point at the same site (same host, or the same registrable domain such
as www.x.gov.cn and jb.x.gov.cn) and either match the source's `match` pattern (URL or link text) or, without a
pattern, point at a document (.pdf .docx .doc .wps .txt) or read like a bulletin (第3期, 简报, 动态, 周报 …). Links
in the site's chrome (nav, header, footer, aside, menus, breadcrumbs, paging) and chrome words (首页, 更多, 下一页 …)
are never issues.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.etree
import lxml.html

DOCUMENT_EXTENSIONS = (".pdf", ".docx", ".doc", ".wps", ".txt")
PAGE_EXTENSIONS = (".html", ".htm", ".shtml", ".xhtml")
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
                        "application/rdf+xml"})
DOCUMENT_TYPES = frozenset({
    "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/msword", "application/vnd.ms-works", "application/kswps", "application/wps-office.wps",
    "text/plain",
})
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "script", "style", "noscript", "form", "select"})
_CHROME_NAMES = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|footer|foot|header|head|top|breadcrumbs?|crumbs?|sidebar|side|pag(e|er|ing|ination)"
    r"|share|friend-?links?|links?|copyright|login|search)([-_\s]|$)", re.IGNORECASE,
)
_CHROME_WORDS = re.compile(
    r"^\s*(首页|网站首页|返回首页|更多|更多>>|更多»|more|more>>|上一页|下一页|上页|下页|尾页|末页|首页»|返回|登录|注册"
    r"|home|next|previous|prev|last|first|top|打印|关闭|收藏|[<>»«]+|\d{1,3})\s*$", re.IGNORECASE,
)
_BULLETIN_TEXT = re.compile(
    r"第\s*[0-9０-９一二三四五六七八九十百〇零]+\s*期|简报|快报|专报|动态|周报|日报|月报|通讯|要情|工作信息|政务信息"
)
_BULLETIN_URL = re.compile(r"jianbao|jb\d|bulletin|dongtai|zhoubao|kuaibao|newsletter", re.IGNORECASE)
_SECOND_LEVEL = frozenset({"gov", "com", "edu", "org", "net", "ac", "mil"})
_DATE = re.compile(r"(20\d{2}|19\d{2})\s*[-年./_]\s*(\d{1,2})\s*[-月./_]\s*(\d{1,2})")
_DATE_DIGITS = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_MAX_LINKS = 5000
_ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class Link:
    """An item found on a source: its absolute URL (without fragment), its text, the date a feed gave it."""

    url: str
    title: str
    published: str | None = None


def media_type(content_type: str) -> str:
    """'text/html; charset=gbk' -> 'text/html'."""
    return content_type.split(";", 1)[0].strip().lower()


def charset_of(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    m = re.search(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]+)", content_type)
    return m[1].lower() if m else None


def classify(content_type: str, body: bytes, url: str) -> str:
    """'feed', 'document' or 'index' for a fetched source of kind auto."""
    kind = media_type(content_type)
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if kind in FEED_TYPES or (head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head or b"<rdf" in head)):
        if b"<html" not in head:
            return "feed"
    if kind in DOCUMENT_TYPES or urlsplit(url).path.lower().endswith(DOCUMENT_EXTENSIONS):
        return "document"
    return "index"


def site_of(host: str) -> str:
    """The registrable part of HOST: jb.x.gov.cn -> x.gov.cn, www.example.com -> example.com; an IP stays."""
    host = host.lower().rstrip(".")
    labels = host.split(".")
    if re.fullmatch(r"[\d.]+|[0-9a-f:\[\]]+", host) or len(labels) <= 2:
        return host
    if labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(a: str, b: str) -> bool:
    """Whether URLs A and B are on the same site (see site_of)."""
    ha, hb = urlsplit(a).hostname or "", urlsplit(b).hostname or ""
    return bool(ha) and site_of(ha) == site_of(hb)


def _absolute(base: str, href: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    url = urldefrag(urljoin(base, href))[0]
    return url if urlsplit(url).scheme in ("http", "https") else None


def _in_chrome(element: lxml.html.HtmlElement) -> bool:
    node: lxml.html.HtmlElement | None = element
    while node is not None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag.lower() in _CHROME_TAGS:
            return True
        names = f"{node.get('class') or ''} {node.get('id') or ''} {node.get('role') or ''}"
        if names.strip() and _CHROME_NAMES.search(names):
            return True
        node = node.getparent()
    return False


def looks_like_issue(url: str, title: str) -> bool:
    """The default rule for a link on an index page (no `match` pattern)."""
    path = urlsplit(url).path.lower()
    if path.endswith(DOCUMENT_EXTENSIONS):
        return True
    return bool(_BULLETIN_TEXT.search(title)) or bool(_BULLETIN_URL.search(path))


def _decode_page(body: bytes, charset: str | None) -> lxml.html.HtmlElement:
    parser = lxml.html.HTMLParser(encoding=charset, remove_comments=True, no_network=True)
    try:
        return lxml.html.document_fromstring(body, parser=parser)
    except (LookupError, lxml.etree.ParserError, ValueError):
        return lxml.html.document_fromstring(body.decode("utf-8", "replace"))


def index_links(body: bytes, base_url: str, *, match: str = "", charset: str | None = None) -> list[Link]:
    """The links of an index page that are issues, in page order, each URL once."""
    if not body.strip():
        return []
    root = _decode_page(body, charset)
    pattern = re.compile(match) if match else None
    found: dict[str, Link] = {}
    for anchor in root.iter("a"):
        url = _absolute(base_url, anchor.get("href") or "")
        if url is None or url in found or url == urldefrag(base_url)[0]:
            continue
        title = " ".join(anchor.text_content().split()) or (anchor.get("title") or "").strip()
        if _CHROME_WORDS.fullmatch(title) or not same_site(url, base_url) or _in_chrome(anchor):
            continue
        if pattern is not None:
            if not (pattern.search(url) or pattern.search(title)):
                continue
        elif not looks_like_issue(url, title):
            continue
        found[url] = Link(url, title[:300])
        if len(found) >= _MAX_LINKS:
            break
    return list(found.values())


def feed_links(body: bytes, base_url: str, *, match: str = "") -> list[Link]:
    """The entries of an RSS 2.0, RSS 1.0 or Atom feed (entities are not expanded, nothing is fetched)."""
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    try:
        root = lxml.etree.fromstring(body, parser=parser)
    except (lxml.etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    pattern = re.compile(match) if match else None
    found: dict[str, Link] = {}
    for entry in root.iter("{*}item", "{*}entry"):
        href = ""
        for link in entry.iterfind("{*}link"):
            if link.get("href") is not None:
                if link.get("rel", "alternate") == "alternate":
                    href = link.get("href", "")
                    break
            elif link.text:
                href = link.text
                break
        url = _absolute(base_url, href)
        if url is None or url in found:
            continue
        title = " ".join((entry.findtext("{*}title") or "").split())
        published = None
        for name in ("pubDate", "published", "updated", "{http://purl.org/dc/elements/1.1/}date"):
            value = entry.findtext(name if name.startswith("{") else "{*}" + name)
            if value and value.strip():
                published = value.strip()
                break
        if pattern is not None and not (pattern.search(url) or pattern.search(title)):
            continue
        found[url] = Link(url, title[:300], published)
        if len(found) >= _MAX_LINKS:
            break
    return list(found.values())


def item_date(link: Link) -> dt.date | None:
    """The date an item carries: a feed's date, else a date in its text or URL (2024-06-01, 2024年6月1日, 20240601)."""
    if link.published:
        try:
            return email.utils.parsedate_to_datetime(link.published).date()
        except (TypeError, ValueError, IndexError):
            try:
                return dt.datetime.fromisoformat(link.published.replace("Z", "+00:00")).date()
            except ValueError:
                pass
    for text in (link.title, urlsplit(link.url).path):
        m = _DATE.search(text) or _DATE_DIGITS.search(text)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                continue
    return None
