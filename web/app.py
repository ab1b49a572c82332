"""The reader's ASGI application (Starlette): the composition root of web/.

`build_app(config, session_factory)` is stateless apart from its database, so `bulletin-bot web` may run in any
number of processes behind a load balancer. Every page is one unit of work (jobs/uow.py): who is asking
(jobs.reader.viewer_of) and what the page shows are read in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from config import Config
from jobs.reader import IssueCache
from jobs.uow import UnitsOfWork
from web import pages
from web.auth import session_key
from web.common import Reader, environment, static_files


def build_app(
    config: Config, session_factory: sessionmaker[Session], *, extra_routes: Sequence[BaseRoute] = ()
) -> Starlette:
    """The reader as an ASGI app on SESSION_FACTORY's database; EXTRA_ROUTES (the bot's webhook) go first."""
    reader = Reader(config, UnitsOfWork(session_factory), environment(), static_files(),
                    session_key(config.telegram.token), IssueCache())
    app = Starlette(routes=[*extra_routes, *pages.routes()],
                    exception_handlers={404: pages.not_found, 405: pages.not_found})
    app.state.reader = reader
    return app
