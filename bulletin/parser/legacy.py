"""Old Word (.doc) and WPS documents, converted to .docx with LibreOffice headless before they are read.

Government sites still post many issues as .doc or .wps. LibreOffice (`soffice --headless --convert-to docx`,
Debian package libreoffice-writer-nogui) converts them where it is installed; where it is not, the document is
refused with a message naming the package. The conversion runs in the caller's process limits: inside the bounded
parse (bulletin/parser/bounded.py) soffice inherits the child's address-space and CPU limits, gets the time left
of the parse's wall clock, and dies with the child (PR_SET_PDEATHSIG), so a hostile .doc costs no more than any
other document.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time

from bulletin.errors import BulletinParseError

PACKAGE = "libreoffice-writer-nogui"
NO_CONVERTER = "no_converter"
_PR_SET_PDEATHSIG = 1


def soffice() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked soffice before exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def to_docx(data: bytes, extension: str, *, deadline: float | None = None) -> bytes:
    """DATA (a .doc or .wps document) as .docx bytes; BulletinParseError when LibreOffice is missing (code
    no_converter), too slow (too_slow) or cannot read it (damaged). DEADLINE is a time.monotonic() value."""
    program = soffice()
    if program is None:
        raise BulletinParseError(
            f"old Word (.doc/.wps) documents need LibreOffice to be read; install the Debian package {PACKAGE}",
            NO_CONVERTER,
        )
    timeout = 60.0 if deadline is None else max(1.0, deadline - time.monotonic())
    with tempfile.TemporaryDirectory(prefix="bulletin-doc-") as tmp:
        source = os.path.join(tmp, "document" + (extension if extension in (".doc", ".wps") else ".doc"))
        with open(source, "wb") as handle:
            handle.write(data)
        command = [
            program, "--headless", "--norestore", "--nolockcheck", "--nologo", "--nodefault",
            f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", "docx", "--outdir", tmp, source,
        ]
        try:
            subprocess.run(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                timeout=timeout, check=False, preexec_fn=_die_with_parent, env={**os.environ, "HOME": tmp},
            )
        except subprocess.TimeoutExpired:
            raise BulletinParseError("converting the old Word document took too long", "too_slow") from None
        target = os.path.splitext(source)[0] + ".docx"
        if not os.path.exists(target):
            raise BulletinParseError(
                "LibreOffice could not convert this old Word (.doc/.wps) document; save the document as .docx",
                "damaged",
            )
        with open(target, "rb") as handle:
            return handle.read()
