"""Kept so that `from bulletin_bot.config import ...` on branches written before the move still works.

The config lives in the top-level package `config` (the bottom layer, importable from bot/ too); import it from
there.
"""

from config import *  # noqa: F403
from config import __all__ as __all__
