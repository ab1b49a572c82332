"""Hostile documents: wall time and peak memory of parsing each one, unbounded against bounded.

Usage:  .venv/bin/python bench/bench_hostile.py [--only NAME ...] [--guard-seconds 20] [--code DIR]

Inputs (tests/support/hostile_docs.py, generated in the run, sizes as first reported): a 2 KB PDF of form
XObjects nested 40 deep (2**40 glyphs), a ~1 MB flate-bomb PDF (1 GiB content stream), a 3.7 MB .docx zip bomb
(3.7 GB document.xml), a .docx of 1,000,000 empty paragraphs, and a .txt bulletin with a 1,000-entry 要目.

"unbounded" is `parse_document` in a fresh process with nothing but a measuring guard (stopped after
--guard-seconds, or at 4 GB of address space): its time and peak RSS are what the bot paid before.
"bounded" is `parse_document_bounded` (a forkserver child under the default ParseLimits), measured from the
calling process: wall time, the child's peak RSS, and how much the caller's own peak RSS grew. --code DIR runs
the unbounded side on another checkout (e.g. `git archive main | tar -x -C /tmp/base`) for before/after figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from support import hostile_docs  # noqa: E402

CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "nested-forms": ("nested.pdf", lambda: hostile_docs.nested_forms_pdf(40)),
    "flate-bomb": ("bomb.pdf", lambda: hostile_docs.flate_bomb_pdf(1 << 30)),
    "docx-bomb": ("bomb.docx", lambda: hostile_docs.docx_bomb(3_700_000_000)),
    "empty-paragraphs": ("empty.docx", lambda: hostile_docs.empty_paragraphs_docx(1_000_000)),
    "toc-1000": ("toc.txt", lambda: hostile_docs.big_toc_text(1000)),
}

_CHILD = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
limit = 4 << 30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from bulletin.parser import parse_document
data = open(sys.argv[2], "rb").read()
start = time.perf_counter()
try:
    issue = parse_document(data, sys.argv[3])
    outcome = "parsed, %d articles" % len(issue.articles)
except Exception as exc:
    outcome = "%s: %s" % (getattr(exc, "code", type(exc).__name__), exc)
print("%.2f\\t%s" % (time.perf_counter() - start, outcome))
"""


def unbounded(code: Path, path: Path, name: str, guard: float) -> str:
    """parse_document in a fresh interpreter: seconds, peak RSS, outcome (or how the guard stopped it)."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(code), str(path), name], stdout=out, stderr=subprocess.DEVNULL
        )
        stopped = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > guard and not stopped:
                proc.kill()
                stopped = True
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        text = out.read().strip()
    if stopped:
        outcome = f"stopped by the {guard:g} s guard"
    else:
        outcome = text.split("\t", 1)[-1] if text else f"died (exit {proc.returncode})"
    return f"{seconds:7.2f} s  {usage.ru_maxrss / 1024:7.0f} MB peak  {outcome}"


def bounded(path: Path, name: str) -> str:
    from bulletin.parser.bounded import run_bounded

    data = path.read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = run_bounded(data, name)
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    if result.error is not None:
        outcome = f"{result.error.code}: {result.error}"
    else:
        assert result.issue is not None
        outcome = f"parsed, {len(result.issue.articles)} articles"
    child = f"{result.peak_mb:5.0f} MB child peak" if result.peak_mb is not None else "   ? MB child peak"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return f"{result.seconds:7.2f} s  {child}  caller +{grew:.0f} MB (peak {peak:.0f} MB)  {outcome}"


def startup() -> str:
    """What the child costs: the first bounded parse (forkserver start and preload), then per document."""
    import statistics

    from support.bulletin_builders import render_text

    from bulletin.parser import parse_document
    from bulletin.parser.bounded import run_bounded

    data = render_text().encode("utf-8")
    first = run_bounded(data, "b.txt").seconds
    bounded_times = [run_bounded(data, "b.txt").seconds for _ in range(10)]
    inline = []
    for _ in range(10):
        start = time.perf_counter()
        parse_document(data, "b.txt")
        inline.append(time.perf_counter() - start)
    spawn = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import bulletin.parser.pdf, bulletin.parser.docx, bulletin.parser.html"],
                   cwd=ROOT, check=True)
    spawned = time.perf_counter() - spawn
    return (f"start-up: first bounded parse {first:.2f} s (forkserver start + preload); then "
            f"{statistics.median(bounded_times) * 1000:.0f} ms per document (median of 10) against "
            f"{statistics.median(inline) * 1000:.0f} ms in-process; a fresh interpreter importing the readers "
            f"(what 'spawn' would pay per document) {spawned:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="run only these inputs")
    parser.add_argument("--guard-seconds", type=float, default=20.0, help="stop an unbounded parse after this")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose parse_document is 'unbounded'")
    parser.add_argument("--skip-unbounded", action="store_true", help="measure only the bounded parse")
    parser.add_argument("--skip-bounded", action="store_true", help="measure only the unbounded parse")
    args = parser.parse_args()
    names = args.only or list(CASES)
    if not args.skip_bounded:
        print(startup(), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            filename, build = CASES[name]
            path = Path(tmp) / filename
            path.write_bytes(build())
            size = os.path.getsize(path)
            print(f"{name} ({size / 1024:,.0f} KB)", flush=True)
            if not args.skip_unbounded:
                print(f"  unbounded {unbounded(args.code, path, filename, args.guard_seconds)}", flush=True)
            if not args.skip_bounded:
                print(f"  bounded   {bounded(path, filename)}", flush=True)


if __name__ == "__main__":
    main()
