"""The event loop the long-running commands use: uvloop where it is installed, else asyncio's own."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys

log = logging.getLogger(__name__)


def use_uvloop() -> bool:
    """Make the event loops created from now on uvloop loops; False (asyncio's loop stays) when unavailable.

    A paid broadcast spends most of its CPU in the event loop and HTTP plumbing, and uvloop sends the first
    second's thousand messages about a quarter faster on a 2-core machine (bench/bench_push.py). PTB's
    run_polling and run_webhook create their loop through the policy, so setting the policy is the one hook
    that reaches them. Python 3.14 deprecates loop policies; there the default loop is kept.
    """
    if sys.version_info >= (3, 14):
        return False
    try:
        import uvloop
    except ImportError:  # not installed (it has no Windows build): asyncio's loop works, only slower
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    log.debug("event loop: uvloop %s", uvloop.__version__)
    return True


# Young-generation threshold for the garbage collector in the long-running processes (Python's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    """Freeze what start-up built and collect cycles less often, for a process about to serve for long.

    At 300 commands/s the bot spent about 5% of its time in the cyclic collector with Python's defaults (700
    allocations between young collections), and each full collection walked every object of the process: the
    modules, PTB, SQLAlchemy's metadata, the issue cache, for 80-136 ms in which no update moved
    (bench/bench_reply.py, saturation). Start-up objects live as long as the process: frozen, no collection
    walks them again. Young collections then run every 10,000 net allocations instead of 700; most objects of a
    reply are freed by reference counting anyway, and cycles are still collected.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)
