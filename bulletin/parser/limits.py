"""How much one document may cost to parse, and the refusals that name the limit a document went over.

The format readers check the content limits (pages, drawn objects, paragraphs, unpacked size) before or while
they read, so a hostile document is refused early and in-process parsing stays bounded too; the time and memory
limits are enforced by running the parse in a child process (bulletin.parser.bounded).
"""

from __future__ import annotations

from dataclasses import dataclass

from bulletin.errors import BulletinParseError

# Error codes of a document refused for a limit (each has a desk_parse_<code> text in the message catalog).
TOO_SLOW = "too_slow"
TOO_LARGE = "too_large"
TOO_MANY_PAGES = "too_many_pages"
TOO_MANY_OBJECTS = "too_many_objects"
TOO_UNPACKED = "too_unpacked"
_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """The limits of one parse.

    seconds: wall clock of the whole child process (start-up included); cpu_seconds: its CPU time;
    memory_mb: its address space (RLIMIT_AS), so also its peak memory; max_pages: PDF pages;
    max_objects: PDF objects drawn (glyphs, paths, images, forms), or files in a .docx package; max_unpacked_mb: total
    size after decompression (.docx members, PDF flate streams); max_ratio: decompressed/compressed size of one
    .docx member or PDF stream larger than 1 MB unpacked (documents compress 2-20x; bombs 1000x);
    max_file_mb: the size of a file read from disk (uploads have their own, smaller limit);
    max_paragraphs: paragraphs of a .docx (a bulletin has hundreds); convert_seconds: the extra wall clock of an
    old Word / WPS document (bulletin/parser/legacy.py), converted inside the same child and memory limit.
    """

    seconds: float = 20.0
    cpu_seconds: int = 18
    memory_mb: int = 512
    max_pages: int = 100
    max_objects: int = 100_000
    max_unpacked_mb: int = 96
    max_ratio: int = 200
    max_file_mb: int = 100
    max_paragraphs: int = 50_000
    # Extra wall clock for an old Word / WPS document, which LibreOffice converts first: a second of its own CPU,
    # but starting it takes 5-15 s of wall clock on a busy 2-core machine.
    convert_seconds: float = 30.0

    def wall_seconds(self, legacy: bool) -> float:
        """The wall clock of one parse: `seconds`, plus `convert_seconds` for a document converted first."""
        return self.seconds + (self.convert_seconds if legacy else 0.0)

    @property
    def max_unpacked_bytes(self) -> int:
        return self.max_unpacked_mb * _MB

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * _MB


DEFAULT_LIMITS = ParseLimits()


def limit_values(limits: ParseLimits) -> dict[str, str]:
    """The limits as the message catalog's desk_parse_too_* texts name them."""
    return {
        "seconds": f"{limits.seconds:g}",
        "memory": str(limits.memory_mb),
        "pages": str(limits.max_pages),
        "paragraphs": f"{limits.max_paragraphs:,}",
        "objects": f"{limits.max_objects:,}",
        "unpacked": str(limits.max_unpacked_mb),
    }
# Members or streams smaller than this are never refused for their ratio (a page of spaces packs 1000x too).
RATIO_FLOOR_BYTES = _MB


def too_slow(limits: ParseLimits, *, cpu: bool = False) -> BulletinParseError:
    if cpu:
        return BulletinParseError(
            f"reading the document used more than {limits.cpu_seconds} seconds of CPU time", TOO_SLOW
        )
    return BulletinParseError(f"reading the document took longer than {limits.seconds:g} seconds", TOO_SLOW)


def too_large(limits: ParseLimits) -> BulletinParseError:
    return BulletinParseError(f"reading the document needed more than {limits.memory_mb} MB of memory", TOO_LARGE)


def file_too_large(limits: ParseLimits) -> BulletinParseError:
    return BulletinParseError(f"the file is larger than {limits.max_file_mb} MB", TOO_LARGE)


def too_many_pages(limits: ParseLimits) -> BulletinParseError:
    return BulletinParseError(f"the PDF has more than {limits.max_pages} pages", TOO_MANY_PAGES)


def too_many_objects(limits: ParseLimits, what: str, limit: int | None = None) -> BulletinParseError:
    count = limits.max_objects if limit is None else limit
    return BulletinParseError(f"the document has more than {count:,} {what}", TOO_MANY_OBJECTS)


def too_unpacked(limits: ParseLimits, *, ratio: bool = False) -> BulletinParseError:
    if ratio:
        return BulletinParseError(
            f"the document unpacks more than {limits.max_ratio} times its size (a decompression bomb)", TOO_UNPACKED
        )
    return BulletinParseError(f"the document unpacks to more than {limits.max_unpacked_mb} MB", TOO_UNPACKED)


def check_ratio(limits: ParseLimits, unpacked: int, packed: int) -> None:
    """Refuse one member or stream that unpacks too many times its packed size."""
    if unpacked > RATIO_FLOOR_BYTES and unpacked > limits.max_ratio * max(packed, 1):
        raise too_unpacked(limits, ratio=True)
