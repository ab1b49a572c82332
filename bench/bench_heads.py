"""Head rules stay linear: parse time of head-heavy documents as their size doubles (median of several rounds).

Usage:  .venv/bin/python bench/bench_heads.py [--rounds 5]

Four made-up inputs, each at 1x, 2x, 4x and 8x size: a bulletin whose head is run together with a first
article of growing length; a text with no issue line (the partial-issue path) of growing line count; a web
page's text with growing chrome (breadcrumbs, metadata, share lines) around a bulletin; a bulletin whose
headless 要目 and column labels grow with its articles. Printed: milliseconds per parse (best and median
of ROUNDS) and the best time's ratio to the 1x time, then the Python function calls one parse makes and their
ratio (work, undisturbed by other load on the machine); a linear rule keeps the ratios near the size factor
(2, 4, 8), a quadratic one would give 4, 16, 64.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bulletin.errors import BulletinParseError  # noqa: E402
from bulletin.parser import parse_document  # noqa: E402

SENTENCE = "各地持续加强汛期值班值守，及时报送雨情水情，确保信息畅通。"
HEAD = "某县防汛工作简报\n2023年第4期\n某县防汛办　　2023年6月1日\n"


def run_together(scale: int) -> str:
    head = "水利工作简报某县水利局综合科编2021年第〔4〕期总第【36】期关于做好汛期值守工作的通知"
    return head + SENTENCE * 800 * scale


def no_issue_line(scale: int) -> str:
    parts = ["某县工作情况", "某县政府办公室　　2023年5月4日"]
    for i in range(400 * scale):
        parts += [f"第{i}项工作进展", SENTENCE]
    return "\n".join(parts)


def page_chrome(scale: int) -> str:
    chrome = ["首页 > 工作动态 > 简报", "发布日期：2023-06-12　来源：某县　点击：12", "分享到：微信 微博"] * 120 * scale
    body = [f"标题{i}号工作动态\n{SENTENCE}" for i in range(120 * scale)]
    return "\n".join([*chrome[:3], HEAD, *body, *chrome])


def headless_toc(scale: int) -> str:
    entries, body = [], []
    for i in range(30 * scale):
        if i % 5 == 0:
            entries.append(f"【栏目{i}】")
            body.append(f"【栏目{i}】")
        entries.append(f"☆第{i}条工作动态标题")
        body += [f"第{i}条工作动态标题", SENTENCE]
    return HEAD + "\n".join(entries + body)


def timings_ms(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """(best, median) of ROUNDS calls: the best is the figure least disturbed by other load on the machine."""
    fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), statistics.median(times)


def python_calls(fn: Callable[[], object]) -> int:
    """Python function calls one run makes: a measure of work that the machine's load does not disturb."""
    profile = cProfile.Profile()
    profile.runcall(fn)
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined]


def parse(text: str) -> None:
    try:
        parse_document(text.encode("utf-8"), "bench.txt")
    except BulletinParseError:
        pass  # the no-issue-line input ends in the clean error, with its partial issue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"{'input':<16} {'chars':>9} {'best ms':>9} {'median':>9} {'ratio':>7} {'calls':>9} {'ratio':>7}")
    for name, make in (
        ("run-together", run_together),
        ("no-issue-line", no_issue_line),
        ("page-chrome", page_chrome),
        ("headless-toc", headless_toc),
    ):
        base, base_calls = 0.0, 0
        for scale in (1, 2, 4, 8):
            text = make(scale)
            best, median = timings_ms(partial(parse, text), args.rounds)
            calls = python_calls(partial(parse, text))
            base, base_calls = base or best, base_calls or calls
            print(
                f"{name:<16} {len(text):>9} {best:>9.2f} {median:>9.2f} {best / base:>7.2f}"
                f" {calls:>9} {calls / base_calls:>7.2f}"
            )


if __name__ == "__main__":
    main()
