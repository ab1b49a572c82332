"""Every user-facing chat string, in Simplified Chinese (default) and English, read from gettext catalogs.

The texts live in bulletin/locale/<locale>/LC_MESSAGES/bulletin.po: zh_CN is the source language, en its
translation. The msgid of every entry is its message key (the KEY of `t(lang, KEY, ...)`), without msgctxt: a
keyed catalog, a common and legitimate gettext pattern that keeps keys stable while the Chinese wording changes
and lets a test check that every key exists in every language. Texts are `str.format` templates ({name}
placeholders); callers pass values already HTML-escaped where the message is HTML.

Catalog texts carry words and placeholders only, no markup: a renderer that wants a bold heading or a <code>
chat id wraps the text or the placeholder value (bulletin.render.bold); markup is allowed only in _MARKUP_KEPT.

Counts: an entry with a msgid_plural is chosen with ngettext under the language's Plural-Forms rule (written by
Babel from CLDR: one form in Chinese, "one"/"other" in English). Its msgid_plural names the count placeholder,
e.g. `msgid "search_heading"` / `msgid_plural "{total}"` picks the form by the `total` keyword argument.

Compiled .mo files are built next to the .po at install time (setup.py's build_py); when the .mo is missing or
older than the .po (a fresh checkout, a .po just edited) the .po is compiled in memory with Babel at first use.
Adding a string: add the key to both .po files (tests/unit/test_render.py fails while one lacks it).
"""

from __future__ import annotations

import gettext
import io
import string
import threading
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

ZH = "zh"
EN = "en"

LOCALES = {ZH: "zh_CN", EN: "en"}  # chat language -> catalog locale; zh_CN is the source and the fallback
DOMAIN = "bulletin"
LOCALE_DIR = Path(__file__).with_name("locale")
# A .mo is used when it is no older than its .po; an install writes both within the same second, in any order.
_MO_SLACK_SECONDS = 1.0
_SMALL_COUNTS = 128
# Keys whose text may still carry markup, and why (none: every heading is wrapped by its renderer).
_MARKUP_KEPT: dict[str, str] = {}
# Keys whose languages may use different placeholders, and why (the caller passes the union).
_PLACEHOLDERS_DIFFER = {"date": "English names the month ({month}); Chinese numbers it ({m})"}


def lang_of(language_code: str | None) -> str:
    """The chat language for a Telegram language_code: English for "en*", Simplified Chinese otherwise."""
    if language_code and language_code.strip().lower().startswith("en"):
        return EN
    return ZH


def compile_po(data: bytes) -> bytes:
    """The .mo bytes of the .po DATA (what setup.py writes at install, and what a stale .mo is replaced by)."""
    from babel.messages.mofile import write_mo  # Babel is imported when the catalogs are first read, not at import
    from babel.messages.pofile import read_po

    out = io.BytesIO()
    write_mo(out, read_po(io.BytesIO(data), abort_invalid=True))
    return out.getvalue()


class _Counted(str):
    """A counted entry in the lookup table: its text is the last form; `pick` chooses the form for a count."""

    msgid: str
    counter: str  # the placeholder whose value picks the form
    translations: gettext.GNUTranslations
    small: tuple[str, ...]  # the form for each count below _SMALL_COUNTS, worked out once

    def __new__(cls, forms: tuple[str, ...], msgid: str, counter: str, translations: gettext.GNUTranslations
                ) -> _Counted:
        entry = super().__new__(cls, forms[-1] if forms else "")
        entry.msgid, entry.counter, entry.translations = msgid, counter, translations
        # Evaluating a Plural-Forms rule costs more than the rest of t(); most counts are small.
        entry.small = tuple(translations.ngettext(msgid, msgid, n) for n in range(_SMALL_COUNTS))
        return entry

    def pick(self, kw: dict[str, Any]) -> str:
        n = int(kw[self.counter])
        return self.small[n] if 0 <= n < _SMALL_COUNTS else self.translations.ngettext(self.msgid, self.msgid, n)


class Catalogs:
    """The strings of every chat language, read from the catalogs under DIRECTORY."""

    def __init__(self, directory: Path = LOCALE_DIR, *, use_mo: bool = True) -> None:
        self.text: dict[str, dict[str, str]] = {}  # lang -> key -> template (a _Counted one for plural forms)
        self.counted: dict[str, dict[str, str]] = {}  # lang -> key -> name of the placeholder that picks the form
        self.forms: dict[str, dict[str, tuple[str, ...]]] = {}  # lang -> key -> plural forms (for checks)
        self.translations: dict[str, gettext.GNUTranslations] = {}
        self.compiled_from: dict[str, str] = {}  # lang -> "mo" or "po": where the strings came from
        from babel.messages.mofile import read_mo

        for lang, locale in LOCALES.items():
            po = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
            data, self.compiled_from[lang] = _mo_bytes(po, use_mo)
            self._add(lang, read_mo(io.BytesIO(data)), gettext.GNUTranslations(io.BytesIO(data)))

    def _add(self, lang: str, catalog: Catalog, translations: gettext.GNUTranslations) -> None:
        text, counted, forms = self.text.setdefault(lang, {}), self.counted.setdefault(lang, {}), {}
        for message in catalog:
            if not message.id:
                continue  # the header
            string = message.string
            if isinstance(message.id, tuple | list):  # read_mo gives lists, read_po tuples
                key, count = message.id[0], message.id[1].strip("{}")
                counted[key], forms[key] = count, tuple(string or ())
                text[key] = _Counted(forms[key], key, count, translations)
            elif isinstance(string, str) and string:
                text[message.id] = string
        self.forms[lang] = forms
        self.translations[lang] = translations

    def entry(self, lang: str, key: str) -> str:
        """The entry of KEY in LANG, or in Chinese when LANG has none (KeyError when no language has it)."""
        table = self.text.get(lang)
        if table is not None and key in table:
            return table[key]
        return self.text[ZH][key]

    def template(self, lang: str, key: str, kw: dict[str, Any]) -> str:
        """The template of KEY in LANG (Chinese when LANG has none), its plural form picked by the count in KW."""
        entry = self.entry(lang, key)
        return entry.pick(kw) if isinstance(entry, _Counted) else entry

    def keys(self) -> frozenset[str]:
        return frozenset(k for lang in LOCALES for k in (*self.text[lang], *self.counted[lang]))


def _mo_bytes(po: Path, use_mo: bool) -> tuple[bytes, str]:
    mo = po.with_suffix(".mo")
    if use_mo and mo.exists() and mo.stat().st_mtime + _MO_SLACK_SECONDS >= po.stat().st_mtime:
        return mo.read_bytes(), "mo"
    return compile_po(po.read_bytes()), "po"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")

# The fast path of t(): lang -> key -> template, filled from the catalogs at first use (nothing is read at import).
_TEXT: dict[str, dict[str, str]] = {}
_catalogs: Catalogs | None = None
_lock = threading.Lock()


def _loaded() -> Catalogs:
    global _catalogs
    with _lock:
        if _catalogs is None:
            catalogs = Catalogs()
            _TEXT.update(catalogs.text)
            _catalogs = catalogs
        return _catalogs


def t(lang: str, key: str, **kw: Any) -> str:
    """The string KEY in LANG (falling back to Chinese), with KW substituted."""
    try:
        template = _TEXT[lang][key]
    except KeyError:  # first use, or a language without the key
        template = (_catalogs or _loaded()).entry(lang, key)
    if kw:
        if template.__class__ is not str:  # a counted entry (plural forms, always given its count): pick the form
            template = template.pick(kw)  # type: ignore[attr-defined]
        return template.format(**kw)
    return template


def month_name(month: int) -> str:
    """The English month name for 1..12."""
    return _MONTHS[month - 1]


def keys() -> frozenset[str]:
    """Every string key (for tests that check both languages are complete)."""
    return _loaded().keys()


def _placeholders(template: str) -> set[str]:
    return {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(template) if f is not None}


def catalog_problems(directory: Path = LOCALE_DIR) -> list[str]:
    """Why the .po catalogs under DIRECTORY are not complete (empty when they are): a key missing in a language,
    placeholders that differ from the Chinese, a bad plural count, markup, or a key written twice."""
    try:
        catalogs = Catalogs(directory, use_mo=False)
    except Exception as e:  # a .po that does not parse is a problem to report, like a missing key
        return [f"the catalogs do not load: {e!r}"]
    problems: list[str] = []
    for locale in LOCALES.values():
        po = (directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po").read_text(encoding="utf-8")
        ids = Counter(line for line in po.splitlines() if line.startswith('msgid "') and line != 'msgid ""')
        problems += [f"{line[7:-1]} [{locale}]: written {n} times in the .po" for line, n in ids.items() if n > 1]
    every = catalogs.keys()
    for lang in LOCALES:
        texts = {**{k: (v,) for k, v in catalogs.text[lang].items()}, **catalogs.forms[lang]}
        problems += [f"{key}: no {LOCALES[lang]} text" for key in sorted(every - set(texts))]
        for key, forms in sorted(texts.items()):
            try:
                names = [_placeholders(f) for f in forms]
            except ValueError as e:
                problems.append(f"{key} [{LOCALES[lang]}]: not a format template: {e}")
                continue
            zh = catalogs.text[ZH].get(key) or next(iter(catalogs.forms[ZH].get(key, ())), "")
            if key not in _PLACEHOLDERS_DIFFER and any(n != _placeholders(zh) for n in names):
                problems.append(f"{key} [{LOCALES[lang]}]: placeholders {sorted(set().union(*names))} differ from "
                                f"the Chinese {sorted(_placeholders(zh))}")
            count = catalogs.counted[lang].get(key)
            if count is not None and any(count not in n for n in names):
                problems.append(f"{key} [{LOCALES[lang]}]: the count {{{count}}} is not in every plural form")
            if not all(forms):
                problems.append(f"{key} [{LOCALES[lang]}]: an empty text")
            if key not in _MARKUP_KEPT and any(c in f for f in forms for c in "<>&"):
                problems.append(f"{key} [{LOCALES[lang]}]: markup in the text; let the renderer add it")
    return problems


def has_all_languages() -> bool:
    """True when every key has a Chinese and an English text with the same placeholders (see catalog_problems)."""
    return not catalog_problems()
