"""`bulletin-bot parse FILE [--json]`: parse one bulletin document and print it; no database, no config.

The parse runs in a child process under the default ParseLimits (20 s, 512 MB), as the bot's does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from bulletin.errors import BulletinParseError
from bulletin.model import Issue
from bulletin.parser.bounded import parse_path_bounded
from bulletin.render import issue_label
from config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a bulletin as .txt, .docx, .pdf or .html")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the parsed issue as one JSON object (UTF-8) instead of a summary",
    )


def run(args: argparse.Namespace, load: Callable[[], Config]) -> int:
    """Parse FILE and print a summary (or JSON); exit 2 with one line on stderr when it cannot be read."""
    try:
        issue = parse_path_bounded(args.file)
    except BulletinParseError as exc:
        sys.stderr.write(f"bulletin-bot: {args.file}: {exc}\n")
        sys.stderr.flush()
        return 2
    if args.json:
        text = json.dumps(issue.to_json_dict(), ensure_ascii=False, indent=2) + "\n"
    else:
        text = summary(issue)
    # Bytes, so that the output is UTF-8 whatever the locale (a C/POSIX locale would fail on Chinese).
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


def _issue_line(issue: Issue) -> str:
    """The issue line as printed; a dated report (no number) shows its week or says it has no number."""
    if issue.number is not None:
        return issue_label(issue, "zh")
    if issue.week is not None and issue.year is not None:
        return f"{issue.year}年第{issue.week}周"
    return "(no issue number: a dated report)"


def _field_text(issue: Issue, name: str) -> str:
    """A field named in Issue.uncertain, as the summary shows it."""
    if name == "toc":
        return f"{len(issue.toc)} entries built from the headings"
    value = issue.to_json_dict()[name]
    return "(none)" if value is None else str(value)


def summary(issue: Issue) -> str:
    """A readable multi-line summary of a parsed issue."""
    lines = [issue.masthead or "(no masthead)", _issue_line(issue)]
    byline = "  ".join(
        part for part in (issue.publisher, issue.date.isoformat() if issue.date else None) if part
    )
    if byline:
        lines.append(byline)
    if issue.marks:
        lines.append("Marks: " + ", ".join(issue.marks))
    lines.extend(f"{field}: {_field_text(issue, field)} (inferred)" for field in issue.uncertain)
    lines.append("")
    lines.append(f"要目 ({len(issue.toc)} entries):")
    section: str | None = None
    for number, entry in enumerate(issue.toc, 1):
        if entry.section and entry.section != section:
            lines.append(f"  【{entry.section}】")
        section = entry.section
        lines.append(f"  {number}. {entry.title}")
    lines.append("")
    lines.append(f"Articles ({len(issue.articles)}):")
    for number, article in enumerate(issue.articles, 1):
        chars = sum(len(p) for p in article.paragraphs)
        count = len(article.paragraphs)
        noun = "paragraph" if count == 1 else "paragraphs"
        lines.append(f"  {number}. {article.title or '(untitled)'} — {count} {noun}, {chars} characters")
    if issue.footer:
        lines.append("")
        lines.append("Footer:")
        lines.extend(f"  {line}" for line in issue.footer)
    if issue.warnings:
        lines.append("")
        lines.append(f"Warnings ({len(issue.warnings)}):")
        lines.extend(f"  - {warning}" for warning in issue.warnings)
    return "\n".join(lines) + "\n"
