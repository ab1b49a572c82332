"""The desk's upload preview as a service other features may use (features never import each other).

The desk feature installs its offer function in a DraftBoard kept in bot_data; a feature that finds a document by
other means (the website watch) asks the board to show it to an admin exactly as an upload would be shown: the
contents message subscribers will get and the panel with its buttons (publish now / default slot / edit /
cancel), which the desk's own handlers then serve. Nothing is stored before the admin confirms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.common.context import Ctx
from bulletin.model import Issue


@dataclass(frozen=True)
class DraftOffer:
    """A parsed document for one admin: ISSUE read from SOURCE; PARTIAL when no issue line was found (the admin
    gives the number or date); NOTE is an extra line for the panel (already escaped HTML), e.g. where it was found."""

    admin_id: int
    lang: str
    issue: Issue
    source: str
    partial: bool = False
    note: str = ""


Offer = Callable[[Ctx, DraftOffer], Awaitable[None]]


class DraftBoard:
    """Where the desk's preview can be asked for (one per application, in bot_data)."""

    def __init__(self) -> None:
        self._offer: Offer | None = None

    def install(self, offer: Offer) -> None:
        """Called by the desk feature when it is installed."""
        self._offer = offer

    @property
    def ready(self) -> bool:
        return self._offer is not None

    async def offer(self, context: Ctx, draft: DraftOffer) -> None:
        """Show DRAFT to its admin as the desk's upload preview (RuntimeError when no desk is installed)."""
        if self._offer is None:
            raise RuntimeError("the desk feature is not installed: nothing can show a draft")
        await self._offer(context, draft)
