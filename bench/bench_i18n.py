"""Microbenchmark of bulletin.i18n.t(): nanoseconds per call for a plain key, a formatted key and a counted key.

    .venv/bin/python bench/bench_i18n.py

Prints the median of 7 runs of 200,000 calls each (the catalogs are loaded before timing).
"""

from __future__ import annotations

import statistics
import timeit

from bulletin.i18n import EN, ZH, t

CASES = {
    "plain zh  t(ZH, 'btn_ack')": lambda: t(ZH, "btn_ack"),
    "plain en  t(EN, 'btn_ack')": lambda: t(EN, "btn_ack"),
    "format zh t(ZH, 'issue_line', ...)": lambda: t(ZH, "issue_line", year=2024, number=12),
    "format en t(EN, 'unknown_article', ...)": lambda: t(EN, "unknown_article", label="No. 3", position=4, count=2),
    "count en  t(EN, 'access_invite_uses', uses=3)": lambda: t(EN, "access_invite_uses", uses=3),
}
N = 200_000


def main() -> None:
    for fn in CASES.values():
        fn()  # first use loads the catalogs
    for name, fn in CASES.items():
        runs = timeit.repeat(fn, number=N, repeat=7)
        print(f"{name:48s} {statistics.median(runs) / N * 1e9:7.0f} ns/call")


if __name__ == "__main__":
    main()
