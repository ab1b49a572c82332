"""Parse throughput: issues per second for .txt, .docx, .pdf and .html (median of several rounds).

Usage:  .venv/bin/python bench/bench_parse.py [--rounds 7] [--seconds 0.3]

Inputs are our own generated fixtures (tests/support/bulletin_builders.py, a 4-article made-up issue) and,
when ../shared/samples is present, the real sample in its four forms. Each format is measured against a
baseline taken in the same run: what the underlying library alone costs to get the raw text out (decode +
splitlines; python-docx open + paragraph text; pdfplumber text extraction; lxml.html text), so the
parser's own overhead is visible. Target: at least 200 text issues per second.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bulletin.parser import parse_document  # noqa: E402

SHARED = ROOT.parent / "shared" / "samples"


def rate(fn: Callable[[], object], rounds: int, seconds: float) -> tuple[float, float, float]:
    """(median, min, max) calls per second over ROUNDS rounds of at least SECONDS each."""
    fn()  # warm up imports and caches
    rates: list[float] = []
    for _ in range(rounds):
        count = 0
        start = time.perf_counter()
        while True:
            fn()
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        rates.append(count / elapsed)
    return statistics.median(rates), min(rates), max(rates)


def baseline(kind: str, data: bytes) -> Callable[[], object]:
    if kind == "txt":
        return lambda: data.decode("utf-8", errors="replace").splitlines()
    if kind == "docx":
        import docx

        return lambda: [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    if kind == "pdf":
        import pdfplumber

        def extract() -> list[str]:
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                return [page.extract_text() or "" for page in pdf.pages]

        return extract
    import lxml.html

    return lambda: "\n".join(lxml.html.document_fromstring(data).itertext())


def inputs() -> list[tuple[str, str, str, bytes]]:
    """(label, kind, filename, data)"""
    from support.bulletin_builders import render_docx, render_html, render_pdf, render_text

    cases = [
        ("fixture", "txt", "fixture.txt", render_text().encode("utf-8")),
        ("fixture gb18030", "txt", "fixture.txt", render_text().encode("gb18030")),
        ("fixture", "docx", "fixture.docx", render_docx()),
        ("fixture", "pdf", "fixture.pdf", render_pdf()),
        ("fixture", "html", "fixture.html", render_html()),
    ]
    if SHARED.is_dir():
        for name, kind in (
            ("bulletin-2023-01.txt", "txt"),
            ("bulletin-2023-01.gb18030.txt", "txt"),
            ("bulletin-2023-01.docx", "docx"),
            ("bulletin-2023-01.pdf", "pdf"),
        ):
            path = SHARED / name
            if path.is_file():
                cases.append(("shared sample", kind, name, path.read_bytes()))
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds per measurement (median is reported)")
    parser.add_argument("--seconds", type=float, default=0.3, help="minimum duration of one round")
    args = parser.parse_args()

    print(f"parse throughput, median of {args.rounds} rounds of >= {args.seconds}s (issues/second)")
    header = f"{'input':<44} {'size':>8} {'parse/s':>9} {'(min-max)':>17} {'baseline/s':>11} {'parse/baseline':>15}"
    print(header)
    print("-" * len(header))
    text_rates: list[float] = []
    for label, kind, filename, data in inputs():
        median, low, high = rate(lambda d=data, f=filename: parse_document(d, f), args.rounds, args.seconds)
        base, _, _ = rate(baseline(kind, data), args.rounds, args.seconds)
        if kind == "txt":
            text_rates.append(median)
        name = f"{label} {filename}" if label == "shared sample" else f"{label} .{kind}"
        print(
            f"{name:<44} {len(data):>7}B {median:>9.1f} {f'({low:.0f}-{high:.0f})':>17} {base:>11.1f} "
            f"{median / base:>14.2f}x"
        )
    worst = min(text_rates)
    verdict = "meets" if worst >= 200 else "MISSES"
    print(f"\ntext: slowest median {worst:.0f} issues/s -> {verdict} the target of 200 text issues/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
