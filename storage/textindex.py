"""Text folding and character-bigram tokens for the search index.

Chinese has no spaces between words, so the index stores overlapping character bigrams of every run of letters
and digits, plus the run's last character on its own (so that a one-character query, run as a prefix query, also
finds a character at the end of a run). The same pure functions feed SQLite FTS5 and the PostgreSQL tsvector, and
the same folded text is used to verify candidates, which is what keeps results identical on both backends.
"""

from __future__ import annotations

import operator
import re
import unicodedata

# A run is a maximal sequence of letters and digits in any script (str.isalnum); `\w` minus the underscore.
_RUN = re.compile(r"[^\W_]+")


class _FoldTable(dict[int, str]):
    """Lazily filled str.translate table: NFKC (full-width to half-width) and lower case, one char to one char."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char).lower()
        if len(folded) != 1:
            # Keep one character per character so that offsets in folded text are offsets in the original.
            lowered = char.lower()
            folded = lowered if len(lowered) == 1 else char
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Case- and width-fold TEXT without changing its length (offsets stay valid in the original)."""
    return text.translate(_FOLD)


def runs(text: str) -> list[str]:
    """The folded letter/digit runs of TEXT."""
    return _RUN.findall(fold(text))


def index_tokens(text: str) -> list[str]:
    """The tokens indexed for TEXT: each run's bigrams in order, then its last character."""
    tokens: list[str] = []
    for run in runs(text):
        tokens.extend(map(operator.add, run[:-1], run[1:]))
        tokens.append(run[-1])
    return tokens


def index_document(text: str) -> str:
    """TEXT as the space-separated token string stored in the full-text index."""
    return " ".join(index_tokens(text))


def query_words(query: str) -> list[str]:
    """The folded, de-duplicated search words of QUERY (split on white space), in order."""
    words: list[str] = []
    for word in query.split():
        folded = fold(word)
        if folded not in words:
            words.append(folded)
    return words


def fts5_match(words: list[str]) -> str | None:
    """An FTS5 MATCH expression that every article containing all WORDS satisfies, or None if none can be built.

    A run of two or more characters becomes a phrase of its bigrams (exact: consecutive bigrams only occur inside
    one run); a single character becomes a prefix query over the tokens.
    """
    parts: list[str] = []
    for word in words:
        for run in runs(word):
            if len(run) == 1:
                parts.append(f'"{run}"*')
            else:
                parts.append('"' + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + '"')
    return " AND ".join(parts) if parts else None


def tsquery(words: list[str]) -> str | None:
    """A PostgreSQL tsquery (input syntax, no dictionary) that every article containing all WORDS satisfies."""
    parts: list[str] = []
    for word in words:
        for run in runs(word):
            if len(run) == 1:
                parts.append(f"'{run}':*")
            else:
                parts.extend(f"'{run[i : i + 2]}'" for i in range(len(run) - 1))
    return " & ".join(dict.fromkeys(parts)) if parts else None


def tsvector(text: str) -> str:
    """TEXT's distinct tokens in tsvector input syntax (no positions: PostgreSQL caps them; never relied on)."""
    return " ".join(f"'{token}'" for token in sorted(set(index_tokens(text))))
