"""Microbenchmark of bulletin.i18n.t() against the dict lookup it replaced, measured in the same run.

    .venv/bin/python bench/bench_i18n.py

The baseline is the former implementation (a dict of {lang: template} per key, `entry.get(lang, entry[ZH])`,
then str.format), filled with the same texts. Prints medians of 7 interleaved runs of 200,000 calls, in ns per call.
"""

from __future__ import annotations

import functools
import statistics
import timeit
from typing import Any

from bulletin import i18n
from bulletin.i18n import EN, ZH, t

N = 200_000


_STRINGS: dict[str, dict[str, str]] = {}  # the former module-level dict, filled from the catalogs


def old_t(lang: str, key: str, **kw: Any) -> str:
    """The dict-based t() as it was before the catalogs (same module-level lookups)."""
    entry = _STRINGS[key]
    template = entry.get(lang, entry[ZH])
    return template.format(**kw) if kw else template


def fill_baseline() -> None:
    catalogs = i18n._loaded()
    for lang in (ZH, EN):
        for key, text in catalogs.text[lang].items():
            _STRINGS.setdefault(key, {})[lang] = text
        for key, forms in catalogs.forms[lang].items():
            _STRINGS.setdefault(key, {})[lang] = forms[-1]


def main() -> None:
    fill_baseline()
    cases: list[tuple[str, str, str, dict[str, Any]]] = [
        ("plain", ZH, "btn_ack", {}),
        ("plain", EN, "btn_ack", {}),
        ("format", ZH, "issue_line", {"year": 2024, "number": 12}),
        ("format", EN, "unknown_article", {"label": "No. 3", "position": 4, "count": 2}),
        ("count", EN, "access_invite_uses", {"uses": 3}),
        ("count", ZH, "access_invite_uses", {"uses": 3}),
    ]
    print(f"{'case':40s} {'before':>8s} {'after':>8s} {'ratio':>6s}")
    for kind, lang, key, kw in cases:
        after, before = functools.partial(t, lang, key, **kw), functools.partial(old_t, lang, key, **kw)
        assert after() == before() or kind == "count"  # the baseline has no plural forms
        runs: dict[str, list[float]] = {"old": [], "new": []}
        for _ in range(7):  # interleaved, so load from other processes hits both alike
            runs["old"].append(timeit.timeit(before, number=N))
            runs["new"].append(timeit.timeit(after, number=N))
        old, new = (statistics.median(runs[k]) / N * 1e9 for k in ("old", "new"))
        print(f"{kind + ' ' + lang + ' ' + key:40s} {old:8.0f} {new:8.0f} {new / old:6.2f}")


if __name__ == "__main__":
    main()
