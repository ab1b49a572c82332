"""The watch's pure recognition: which links of an index page or feed are issues, what a source is, item dates."""

from __future__ import annotations

import datetime as dt

from support.website import feed, index_page

from jobs.watch_links import Link, classify, feed_links, index_links, item_date, same_site, site_of

BASE = "http://www.county.gov.cn/jianbao/index.html"


def test_an_index_page_gives_its_issues_and_none_of_the_site_chrome() -> None:
    page = index_page([
        ("/jianbao/2025/07.html", "某县文旅工作简报2025年第7期"),
        ("2025/08.pdf", "第8期"),
        ("http://files.county.gov.cn/jb/09.docx", "工作简报（第9期）"),
        ("/notice/1.html", "关于开展安全检查的通知"),  # an ordinary news item: not a bulletin
    ])
    links = index_links(page, BASE)
    assert [link.url for link in links] == [
        "http://www.county.gov.cn/jianbao/2025/07.html",
        "http://www.county.gov.cn/jianbao/2025/08.pdf",
        "http://files.county.gov.cn/jb/09.docx",  # another host of the same site
    ]
    assert links[0].title == "某县文旅工作简报2025年第7期"


def test_a_match_pattern_decides_alone() -> None:
    page = index_page([("/a/1.html", "第一期"), ("/b/notice.html", "通知"), ("/a/2.html", "第二期")])
    assert [link.url for link in index_links(page, BASE, match=r"/a/\d+\.html$")] == [
        "http://www.county.gov.cn/a/1.html", "http://www.county.gov.cn/a/2.html",
    ]


def test_links_to_other_sites_fragments_and_scripts_are_ignored() -> None:
    page = index_page([
        ("https://elsewhere.example.com/jianbao/1.pdf", "第1期"),
        ("#top", "第2期"),
        ("javascript:void(0)", "第3期"),
        ("/jianbao/4.pdf#page=2", "第4期"),
        ("/jianbao/4.pdf", "第4期 again"),
    ])
    assert [link.url for link in index_links(page, BASE)] == ["http://www.county.gov.cn/jianbao/4.pdf"]


def test_a_gbk_page_is_read_in_its_charset() -> None:
    page = index_page([("/jianbao/5.html", "工作简报第5期")]).replace(b'charset="utf-8"', b'charset="gbk"')
    body = page.decode("utf-8").encode("gbk")
    assert [link.title for link in index_links(body, BASE, charset="gbk")] == ["工作简报第5期"]


def test_rss_and_atom_feeds() -> None:
    rss = feed([("/jb/1.html", "第1期", dt.date(2025, 1, 6)), ("/jb/2.pdf", "第2期", dt.date(2025, 2, 3))],
               "http://www.county.gov.cn")
    links = feed_links(rss, BASE)
    assert [link.url for link in links] == ["http://www.county.gov.cn/jb/1.html", "http://www.county.gov.cn/jb/2.pdf"]
    assert item_date(links[1]) == dt.date(2025, 2, 3)
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
    <entry><title>\xe7\xac\xac3\xe6\x9c\x9f</title><link rel="alternate" href="/jb/3.docx"/>
    <updated>2025-03-03T08:00:00Z</updated></entry></feed>"""
    [entry] = feed_links(atom, BASE)
    assert (entry.url, entry.title, item_date(entry)) == ("http://www.county.gov.cn/jb/3.docx", "第3期",
                                                          dt.date(2025, 3, 3))


def test_a_feed_with_an_entity_bomb_is_read_without_expanding_it() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
    <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
    <rss><channel><item><title>&d;&d;&d;&d;</title><link>http://www.county.gov.cn/x.pdf</link></item></channel></rss>"""
    links = feed_links(bomb, BASE)
    assert all(len(link.title) <= 300 for link in links)


def test_what_a_source_is() -> None:
    assert classify("application/rss+xml", b"<?xml?><rss>", BASE) == "feed"
    assert classify("text/xml", b'<?xml version="1.0"?><feed xmlns="x">', BASE) == "feed"
    assert classify("application/pdf", b"%PDF-1.4", "http://x.cn/a") == "document"
    assert classify("application/octet-stream", b"", "http://x.cn/jb/latest.docx") == "document"
    assert classify("text/html", b"<html>", BASE) == "index"


def test_sites_and_dates() -> None:
    assert site_of("jb.county.gov.cn") == "county.gov.cn"
    assert site_of("www.example.com") == "example.com"
    assert site_of("127.0.0.1") == "127.0.0.1"
    assert same_site("http://a.county.gov.cn/x", "https://www.county.gov.cn/y")
    assert not same_site("http://county.gov.cn.evil.example/x", "http://www.county.gov.cn/")
    assert item_date(Link("http://x.cn/a/20250301.html", "简报")) == dt.date(2025, 3, 1)
    assert item_date(Link("http://x.cn/a.html", "2024年12月5日 第9期")) == dt.date(2024, 12, 5)
    assert item_date(Link("http://x.cn/a.html", "第9期")) is None
