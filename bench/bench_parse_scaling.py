"""Parse time against input size: the fitted exponent must be ~1 (linear) for every input.

Usage:  .venv/bin/python bench/bench_parse_scaling.py [--only NAME ...] [--scale 1.0] [--rounds 3]

For each input, parse_document (in this process, as the bounded child runs it) at sizes n, 2n, 4n, 8n, where 8n
is the size asked for: a 20,000-entry 要目 (.txt), 200,000 short lines (.txt), one 300,000-character paragraph
(.txt), and a 50 MB HTML page of paragraphs. Prints the median time of ROUNDS runs at each size, the ratio of
successive times (2.0 is linear) and the exponent k of time ~ size**k fitted by least squares on the log-log
points. --scale shrinks every size (e.g. 0.25 for a quick look).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from support import hostile_docs  # noqa: E402

from bulletin.parser import parse_document  # noqa: E402

_HEAD = "某县工作简报\n\n2024年第3期（总第30期）\n\n某县人民政府办公室　　2024年3月8日\n\n"


def toc(entries: int) -> tuple[bytes, str]:
    return hostile_docs.big_toc_text(entries, paragraphs_per_article=1), "toc.txt"


def short_lines(lines: int) -> tuple[bytes, str]:
    body = "\n".join(f"第{n}行：记录。" for n in range(lines))
    return (_HEAD + "一、全县开展安全检查\n" + body + "\n").encode("utf-8"), "lines.txt"


def long_paragraph(chars: int) -> tuple[bytes, str]:
    sentence = "检查组对各点位逐一复查，发现的问题已全部整改到位。"
    text = (sentence * (chars // len(sentence) + 1))[:chars]
    return (_HEAD + "一、全县开展安全检查\n" + text + "\n").encode("utf-8"), "paragraph.txt"


def html_page(megabytes: float) -> tuple[bytes, str]:
    return hostile_docs.big_html_page(megabytes), "page.html"


CASES: dict[str, tuple[Callable[[float], tuple[bytes, str]], float, str]] = {
    "toc-20000": (lambda n: toc(int(n)), 20_000, "entries"),
    "lines-200000": (lambda n: short_lines(int(n)), 200_000, "lines"),
    "paragraph-300000": (lambda n: long_paragraph(int(n)), 300_000, "characters"),
    "html-50MB": (html_page, 50, "MB"),
}


def seconds(data: bytes, name: str, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        parse_document(data, name)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def exponent(sizes: list[float], times: list[float]) -> float:
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in times]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="run only these inputs")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size by this")
    parser.add_argument("--rounds", type=int, default=3, help="runs per size (median)")
    args = parser.parse_args()
    for name in args.only or list(CASES):
        build, largest, unit = CASES[name]
        sizes = [largest * args.scale * f for f in (0.125, 0.25, 0.5, 1.0)]
        times = []
        print(name, flush=True)
        for size in sizes:
            data, filename = build(size)
            rounds = args.rounds if len(data) < 20_000_000 else 1
            times.append(seconds(data, filename, rounds))
            ratio = f"x{times[-1] / times[-2]:.2f}" if len(times) > 1 else ""
            print(f"  {size:>10,.6g} {unit:<10} {len(data) / 1e6:8.1f} MB  {times[-1]:8.3f} s  {ratio}", flush=True)
        print(f"  fitted exponent: {exponent(sizes, times):.2f}", flush=True)


if __name__ == "__main__":
    main()
