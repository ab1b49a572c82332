"""`bulletin-bot admins | subscribers | audit`: access control from the command line (being built)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bulletin_bot.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace, load: Callable[[], Config]) -> int:
    """Not available yet."""
    print(f"bulletin-bot: '{args.command}' is not available yet", file=sys.stderr)
    return 2
