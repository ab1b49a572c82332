"""The event loop the long-running commands use: uvloop where it is installed, else asyncio's own."""

from __future__ import annotations

import asyncio
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
