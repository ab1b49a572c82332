"""Terminal output shared by the command-line commands."""

from __future__ import annotations

import sys


def utf8_output() -> None:
    """Make stdout and stderr write UTF-8 whatever the locale (a C/POSIX locale cannot encode Chinese)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8")
