"""Files that hold private data (the database, exports, the config with the token): readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO, cast

PRIVATE_MODE = 0o600


def open_private(
    path: str | Path, *, exclusive: bool = False, encoding: str = "utf-8", newline: str | None = None
) -> TextIO:
    """Open PATH for writing text with mode 0600 (truncating it, or refusing an existing file when EXCLUSIVE).

    The mode is set at creation, so the data is never readable by others, not even for a moment; a file that
    already existed with a wider mode is narrowed to 0600 before anything is written to it.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
        return cast(TextIO, os.fdopen(fd, "w", encoding=encoding, newline=newline))
    except BaseException:
        os.close(fd)
        raise


def create_private(path: str | Path) -> bool:
    """Create PATH empty with mode 0600 unless it exists; True when it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True
