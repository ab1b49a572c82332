"""Lines the command line prints in more than one command, so that each reads the same everywhere."""

from __future__ import annotations


def unknown_issue(ref: str) -> str:
    """The one answer to an issue reference that matches no stored issue (publish, show, status, audit …)."""
    return (
        f"no stored issue matches {ref!r} (give the cumulative number like 15, year-number like 2023-1 or a date "
        "like 2022-07-05; `bulletin-bot issues` lists them)"
    )


def count(n: int, what: str, plural: str | None = None) -> str:
    """'1 admin', '2 admins', '0 updates': a count with its noun in the right number."""
    return f"{n} {what if n == 1 else plural or what + 's'}"
