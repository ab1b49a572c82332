"""Text folding and character-bigram tokens for the search index.

Chinese has no spaces between words, so the index stores overlapping character bigrams of every run of letters
and digits, plus the run's last character on its own (so that a one-character query, run as a prefix query, also
finds a character at the end of a run). Between runs it stores a mark for each punctuation character and one for
each stretch of white space, so a word with punctuation ("工作，") is one exact FTS5 phrase too. The same pure
functions feed SQLite FTS5 and the PostgreSQL tsvector, and the same folded text is used to verify candidates on
PostgreSQL (its tsvector has no positions), which is what keeps results identical on both backends.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

# A run is a maximal sequence of letters and digits in any script (str.isalnum); `\w` minus the underscore.
_RUN = re.compile(r"[^\W_]+")
# Folded text as pieces: a run, a stretch of white space, or one other (punctuation) character.
_PIECE = re.compile(r"([^\W_]+)|(\s+)|(.)", re.DOTALL)
# Marks start with a character that is neither a letter nor a digit, so no run token (nor a one-character prefix
# query) can ever equal or match one; 'ascii' FTS5 and tsvector both keep it inside the token.
_MARK = "\u00b7"
SPACE_MARK = _MARK


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


# Where the lower case of a whole string differs from its characters' one by one: the final sigma (Σ becomes ς at
# the end of a word) and İ (the only character whose lower case is two characters).
_CONTEXT_LOWER = re.compile("[\u03a3\u0130]")
# What NFKC changes in most Chinese text: full-width punctuation and the ideographic space (。, 、 and the quotation
# marks are NFKC already).
_WIDE = tuple((wide, unicodedata.normalize("NFKC", wide)) for wide in "，；：（）！？\u3000")


def fold(text: str) -> str:
    """Case- and width-fold TEXT without changing its length (offsets stay valid in the original).

    Text that is in NFKC once its full-width punctuation is narrowed (nearly all text) folds as its plain lower
    case, a few times faster than character by character: each character of a normalized text is its own NFKC
    form."""
    narrowed = text
    for wide, narrow in _WIDE:
        narrowed = narrowed.replace(wide, narrow)
    if unicodedata.is_normalized("NFKC", narrowed) and not _CONTEXT_LOWER.search(narrowed):
        return narrowed.lower()
    return text.translate(_FOLD)


def runs(text: str) -> list[str]:
    """The folded letter/digit runs of TEXT."""
    return _RUN.findall(fold(text))


def mark(char: str) -> str:
    """The token of the punctuation character CHAR (already folded): the mark and its code point in hex."""
    return f"{_MARK}{ord(char):x}"


def _bigrams(run: str) -> list[str]:
    return list(map(operator.add, run[:-1], run[1:]))


def index_tokens(text: str) -> list[str]:
    """The tokens indexed for TEXT, in order: each run's bigrams then its last character; a mark per punctuation
    character and one per stretch of white space between them."""
    tokens: list[str] = []
    for m in _PIECE.finditer(fold(text)):
        run, space, other = m.groups()
        if run:
            tokens.extend(_bigrams(run))
            tokens.append(run[-1])
        elif space:
            tokens.append(SPACE_MARK)
        else:
            tokens.append(mark(other))
    return tokens


def _junctions(folded: str) -> list[str]:
    """A token for each letter or digit next to a punctuation character, with that character's mark ("全·3002",
    "·2c落"): PostgreSQL's tsvector has no positions, and without these a word with punctuation ("安全。") would
    have every article with the word and the mark anywhere (all of them) as its candidates."""
    tokens: list[str] = []
    for m in _PIECE.finditer(folded):
        if m[3] is None:
            continue
        at = m.start()
        if at > 0 and folded[at - 1].isalnum():
            tokens.append(folded[at - 1] + mark(m[3]))
        if at + 1 < len(folded) and folded[at + 1].isalnum():
            tokens.append(mark(m[3]) + folded[at + 1])
    return tokens


def pg_tokens(text: str) -> list[str]:
    """The tokens of TEXT in the PostgreSQL tsvector: index_tokens, and the junctions of its punctuation."""
    return index_tokens(text) + _junctions(fold(text))


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


def word_phrase(word: str) -> tuple[list[str], bool]:
    """(tokens, last is a prefix): the FTS5 phrase that matches exactly where the folded WORD (no white space, at
    least one letter or digit) occurs in a text.

    A run inside WORD is its bigrams, and its last character too when punctuation follows it in WORD (the run must
    end there; the last-character token only follows a run's final bigram). A punctuation character is its mark.
    A run at the end of WORD may continue in the text: its bigrams only, or, for one character, a prefix token.
    Consecutive tokens only occur inside one run or across marks, so the phrase is exact: no check on the text.
    """
    tokens: list[str] = []
    pieces = [m.groups() for m in _PIECE.finditer(word)]
    for i, (run, _space, other) in enumerate(pieces):
        if not run:
            tokens.append(mark(other))
            continue
        last = i == len(pieces) - 1
        if last and len(run) == 1:
            tokens.append(run)
            return tokens, True
        tokens.extend(_bigrams(run))
        if not last:
            tokens.append(run[-1])
    return tokens, False


Alternatives = tuple[str, ...]
# A query word widened by synonyms into at most this many spellings (the word itself first).
MAX_ALTERNATIVES = 8


def synonym_table(groups: Iterable[Iterable[str]]) -> dict[str, Alternatives]:
    """Folded word -> every folded word of its synonym group, in the order written (groups sharing a word are
    joined); GROUPS such as [["固废", "固体废物"]]."""
    table: dict[str, Alternatives] = {}
    for group in groups:
        words = list(dict.fromkeys(fold(w.strip()) for w in group if w.strip()))
        joined = tuple(dict.fromkeys([x for w in words for x in table.get(w, ())] + words))
        for word in joined:
            table[word] = joined
    return table


def widen(word: str, synonyms: Mapping[str, Alternatives]) -> Alternatives:
    """WORD (folded) and its spellings with a synonym in place of any synonym it contains ("河长制" -> "河湖长制")."""
    found = [word]
    for member, group in synonyms.items():
        if member in word:
            found.extend(word.replace(member, other) for other in group)
    return tuple(dict.fromkeys(found))[:MAX_ALTERNATIVES]


def query_groups(query: str, synonyms: Mapping[str, Alternatives] | None = None) -> list[Alternatives]:
    """The search words of QUERY that have a letter or digit, each with its synonym spellings: an article matches
    when it contains, for every word, one of its spellings."""
    return [widen(w, synonyms or {}) for w in query_words(query) if runs(w)]


def _phrase(word: str) -> str:
    tokens, prefix = word_phrase(word)
    return '"' + " ".join(tokens) + '"' + ("*" if prefix else "")


def fts5_match(groups: Sequence[Alternatives]) -> str | None:
    """The FTS5 MATCH expression for articles containing, for every group, one of its words (see word_phrase), or
    None if none can be built.

    A word that is one run of two or more characters is a phrase of its bigrams; a single character is a prefix
    query over the tokens; a word with punctuation is one phrase of bigrams, last characters and marks.
    """
    parts: list[str] = []
    for group in groups:
        phrases = [_phrase(word) for word in group if runs(word)]
        if phrases:
            parts.append(phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")")
    return " AND ".join(parts) if parts else None


def title_trigram_match(groups: Sequence[Alternatives]) -> str | None:
    """The FTS5 MATCH expression over the trigram index of folded titles (SQLite) for titles containing, for every
    group, one of its words; None when a word has fewer than three characters (a trigram index cannot look it up).
    A word is a phrase of its trigrams: exactly where it occurs as a substring."""
    if any(len(word) < 3 for group in groups for word in group):
        return None
    return " AND ".join(
        "(" + " OR ".join('"' + word.replace('"', '""') + '"' for word in group) + ")" for group in groups
    )


def _word_tsquery(word: str) -> list[str]:
    parts: list[str] = []
    for run in runs(word):
        if len(run) == 1:
            parts.append(f"'{run}':*")
        else:
            parts.extend(f"'{run[i : i + 2]}'" for i in range(len(run) - 1))
    # A word's punctuation must occur too, with its neighbours (the order is checked on the folded text, see
    # storage.search); a word of punctuation alone has no letter and is never searched.
    if runs(word):
        parts.extend(f"'{mark(m[3])}'" for m in _PIECE.finditer(word) if m[3] and not _junctions(word))
        parts.extend(f"'{token}'" for token in _junctions(word))
    return list(dict.fromkeys(parts))


def tsquery(groups: Sequence[Alternatives]) -> str | None:
    """A PostgreSQL tsquery (input syntax, no dictionary) that every article containing, for every group, one of
    its words satisfies."""
    parts: list[str] = []
    for group in groups:
        words = [" & ".join(terms) for terms in map(_word_tsquery, group) if terms]
        if len(words) == 1:
            parts.append(words[0])
        elif words:
            parts.append("(" + " | ".join(f"({w})" for w in words) + ")")
    return " & ".join(dict.fromkeys(parts)) if parts else None


def exact_in_index(word: str) -> bool:
    """Whether the tsvector (no positions) answers WORD exactly: one run of at most two characters."""
    return runs(word) == [word] and len(word) <= 2


def tsvector(text: str) -> str:
    """TEXT's distinct tokens (pg_tokens) in tsvector input syntax (no positions: PostgreSQL caps them; never
    relied on)."""
    return tsvector_of(pg_tokens(text))


def tsvector_of(tokens: list[str]) -> str:
    """The distinct TOKENS in tsvector input syntax."""
    return " ".join(f"'{token}'" for token in sorted(set(tokens)))
