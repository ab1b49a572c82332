"""Parsing under limits: each document in a fresh child process with a CPU, memory and wall-clock limit.

    parse_document_bounded(data, filename, limits) -> Issue
    parse_path_bounded(path, limits) -> Issue

The child is forked from a forkserver that has the readers (pdfplumber, python-docx, lxml) imported, so a
document costs a fork (a few ms) instead of a Python start-up with imports (about a second); the forkserver itself
is started on first use, from a clean interpreter, so nothing of the caller's threads or event loop is inherited.
In the child: RLIMIT_AS (memory_mb) and RLIMIT_CPU (cpu_seconds) are set, stderr goes to /dev/null (libraries
print nothing the user sees), the bytes arrive over a pipe, and the Issue or BulletinParseError goes back over
it, pickled, at most _MAX_REPLY bytes. The caller kills the child at the wall-clock limit. A child that is killed,
runs out of memory or crashes becomes a BulletinParseError with its own code (too_slow, too_large, damaged): the
caller only ever blocks on a pipe, and its memory holds the document and the result, nothing the parse built.
Blocking: call it from a thread in async code (asyncio.to_thread).
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import pickle
import resource
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bulletin.errors import BulletinParseError
from bulletin.model import Issue
from bulletin.parser import detect_format, parse_document, read_document
from bulletin.parser.limits import DEFAULT_LIMITS, ParseLimits, too_large, too_slow

logger = logging.getLogger(__name__)

# What the forkserver imports once, so that children start with the readers loaded.
_PRELOAD = [
    "__main__",
    "bulletin.parser.bounded",
    "bulletin.parser.structure",
    "bulletin.parser.text",
    "bulletin.parser.html",
    "bulletin.parser.docx",
    "bulletin.parser.pdf",
]
_MAX_REPLY = 256 * 1024 * 1024  # a pickled Issue of a 100 MB file stays well under this
# At most this many documents are parsed at once (each child may take memory_mb): uploads beyond wait their turn.
_CONCURRENT = threading.BoundedSemaphore(2)
_context_lock = threading.Lock()
_context: Any = None


@dataclass(frozen=True)
class BoundedResult:
    """The outcome of one bounded parse: the issue or the error, the wall time, and the child's peak RSS."""

    issue: Issue | None
    error: BulletinParseError | None
    seconds: float
    peak_mb: float | None


def _forkserver() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            _context = context
        return _context


def parse_document_bounded(data: bytes, filename: str, limits: ParseLimits = DEFAULT_LIMITS) -> Issue:
    """parse_document in a child process under LIMITS; only BulletinParseError escapes."""
    result = run_bounded(data, filename, limits)
    if result.error is not None:
        raise result.error
    assert result.issue is not None
    return result.issue


def parse_path_bounded(path: str | os.PathLike[str], limits: ParseLimits = DEFAULT_LIMITS) -> Issue:
    """parse_path in a child process under LIMITS (the file is read here, within max_file_mb)."""
    return parse_document_bounded(read_document(path, limits=limits), os.fspath(path), limits)


def run_bounded(data: bytes, filename: str, limits: ParseLimits = DEFAULT_LIMITS) -> BoundedResult:
    """Parse in a fresh child under LIMITS and say how it went (used by parse_document_bounded and the bench)."""
    with _CONCURRENT:
        return _run(data, filename, limits)


def _is_legacy(data: bytes, filename: str) -> bool:
    try:
        return detect_format(data, filename) == "legacy"
    except BulletinParseError:
        return False


def _run(data: bytes, filename: str, limits: ParseLimits) -> BoundedResult:
    context = _forkserver()
    start = time.monotonic()
    wall = limits.wall_seconds(_is_legacy(data, filename))
    ours, theirs = context.Pipe(duplex=True)
    child = context.Process(target=_child_main, args=(theirs, limits), name="bulletin-parse", daemon=True)
    child.start()
    theirs.close()
    reply: bytes | None = None
    timed_out = False
    peak_kb: int | None = None
    try:
        try:
            ours.send_bytes(data)
            ours.send_bytes(filename.encode("utf-8", "surrogatepass"))
        except OSError:
            pass  # the child died before it read the document: its exit code says why
        if ours.poll(max(0.0, start + wall - time.monotonic())):
            try:
                reply = ours.recv_bytes(_MAX_REPLY)
            except (EOFError, OSError):
                reply = None  # died without answering, or answered more than _MAX_REPLY
        else:
            timed_out = True
            peak_kb = _peak_kb(child.pid)
            child.kill()
    finally:
        ours.close()
        child.join(5.0)
        if child.is_alive():
            child.kill()
            child.join()
    seconds = time.monotonic() - start
    if timed_out:
        return BoundedResult(None, too_slow(dataclasses.replace(limits, seconds=wall)), seconds, _mb(peak_kb))
    if reply is None:
        return BoundedResult(None, _death(child.exitcode, limits), seconds, None)
    kind, payload, peak_kb, errors = pickle.loads(reply)
    for text in errors:
        logger.error("parsing %s: %s", os.path.basename(filename), text)
    if kind == "ok":
        return BoundedResult(payload, None, seconds, _mb(peak_kb))
    return BoundedResult(None, payload, seconds, _mb(peak_kb))


def _death(exitcode: int | None, limits: ParseLimits) -> BulletinParseError:
    if exitcode == -signal.SIGXCPU:
        return too_slow(limits, cpu=True)
    if exitcode == -signal.SIGKILL:
        return too_large(limits)  # not our kill (that is the timeout): the kernel's, out of memory
    logger.info("the parser child ended with exit code %s and no answer", exitcode)
    # A reader that crashes the interpreter (a C library on a hostile file) or runs out of address space there.
    return BulletinParseError("the document could not be read (the reader stopped on it)", "damaged")


def _mb(kb: int | None) -> float | None:
    return kb / 1024 if kb is not None else None


def _peak_kb(pid: int | None) -> int | None:
    """The child's peak RSS so far (VmHWM), read before killing it."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


class _ErrorLog(logging.Handler):
    """Keeps the child's ERROR records (an internal parser error's traceback) for the caller to log."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


def _child_main(conn: Connection, limits: ParseLimits) -> None:
    """The child: limits first, then read the document from CONN, parse it, answer on CONN."""
    started = time.monotonic()
    try:
        _limit_self(limits)
        errors = _ErrorLog()
        logging.getLogger().addHandler(errors)
        data = conn.recv_bytes()
        filename = conn.recv_bytes().decode("utf-8", "surrogatepass")
        answer: tuple[str, Any]
        try:
            # The parent kills us at the wall clock; a conversion must leave time for the parse after it.
            deadline = started + limits.wall_seconds(True) - limits.seconds / 2
            answer = ("ok", parse_document(data, filename, limits=limits, convert=True, deadline=deadline))
        except BulletinParseError as exc:
            answer = ("error", exc)
        except MemoryError:
            answer = ("error", too_large(limits))
        del data
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            reply = pickle.dumps((*answer, peak_kb, errors.texts), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            reply = pickle.dumps(("error", too_large(limits), peak_kb, []))
        conn.send_bytes(reply)
    except BaseException:  # nothing may print a traceback: the caller reads the exit code instead
        os._exit(70)
    finally:
        conn.close()
    os._exit(0)  # skip interpreter teardown (atexit of multiprocessing, flushing a large heap)


def _limit_self(limits: ParseLimits) -> None:
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
