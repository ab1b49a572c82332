"""Lines the command line prints in more than one command, so that each reads the same everywhere."""

from __future__ import annotations


def unknown_issue(ref: str) -> str:
    """The one answer to an issue reference that matches no stored issue (publish, show, status, audit …)."""
    return (
        f"no stored issue matches {ref!r} (give the cumulative number like 15, year-number like 2023-1 or a date "
        "like 2022-07-05; `bulletin-bot issues` lists them)"
    )
