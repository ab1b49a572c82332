"""--publication NAME for the commands that take it (issues, show, search, publish)."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from storage.publications import PublicationRepository


class UnknownPublication(Exception):
    """--publication names no publication; the message lists those there are."""


def add_publication_option(parser: argparse.ArgumentParser) -> None:
    """--publication NAME, shared by issues, show, search and publish."""
    parser.add_argument(
        "--publication", metavar="NAME", default=None,
        help="only this publication: its [publications] name, masthead or a masthead alias",
    )


def publication_of(session: Session, name: str | None) -> int | None:
    """The id of the publication NAME names (None for None); UnknownPublication when it names none."""
    if name is None:
        return None
    repo = PublicationRepository(session)
    found = repo.named(name)
    if found is None:
        known = ", ".join(p.short for p in repo.all()) or "none yet"
        raise UnknownPublication(f"--publication: no publication named {name!r} (publications: {known})")
    return found.id
