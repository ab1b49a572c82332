"""Publications in chat, shared by the features that subscribe (the toggles) and that look issues up (names on
labels, the choice among issues of several publications, the publication filter of /issues)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot import callbacks as cb
from bulletin.i18n import t
from bulletin.model import Issue
from bulletin.render import Button, Keyboard, Rendered, esc, issue_label, shorten
from jobs.publications import Choice
from storage.archive import IssueHeader

_ON = "✅"
_OFF = "⬜"


def choice_message(lang: str, chosen: Choice) -> Rendered:
    """The publication toggles: one button per publication, marked when the chat receives it."""
    rows: list[tuple[Button, ...]] = [
        (Button(shorten(f"{_ON if on else _OFF} {publication.short}"), cb.cb_toggle_publication(publication.id)),)
        for publication, on in chosen.items
    ]
    text = t(lang, "publications_choose")
    if not any(on for _p, on in chosen.items):
        text += "\n" + t(lang, "publications_none")
    return Rendered(esc(text), tuple(rows))


def named_label(issue: Issue, publication_id: int | None, names: Mapping[int, str], lang: str) -> str:
    """An issue's label with its publication's name ("专报 2023年第3期"); the label alone with one publication."""
    name = names.get(publication_id or 0) if len(names) > 1 else None
    label = issue_label(issue, lang)
    return f"{name} {label}" if name else label


def choose_issue(
    lang: str, text: str, headers: Sequence[IssueHeader], names: Mapping[int, str], *, position: int | None = None
) -> Rendered:
    """TEXT over one button per issue of HEADERS (named with its publication): its contents, or its article
    POSITION when given."""
    lines = [esc(text)]
    rows: list[tuple[Button, ...]] = []
    for n, header in enumerate(headers, start=1):
        label = (
            named_label(header.issue, header.publication_id, names, lang) if len(names) > 1
            else f"{header.issue.masthead} {issue_label(header.issue, lang)}"
        )
        lines.append(f"{n}. {esc(label)}")
        data = cb.cb_contents(header.id) if position is None else cb.cb_article(header.id, position)
        rows.append((Button(shorten(f"{n}. {label}"), data),))
    return Rendered("\n".join(lines), tuple(rows))


def publication_filter(lang: str, names: Mapping[int, str], current: int) -> Keyboard:
    """/issues' publication filter: a button per publication and one for all (the current one marked); none with
    a single publication."""
    if len(names) <= 1:
        return ()
    options = [(0, t(lang, "btn_all_publications")), *names.items()]
    buttons = [
        Button(shorten(f"{'· ' if pid == current else ''}{name}", 16), cb.cb_issues_page(1, pid))
        for pid, name in options
    ]
    return tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
