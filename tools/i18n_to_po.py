"""Move chat strings still kept in a Python dict (`_STRINGS` in bulletin/i18n.py) into the gettext catalogs.

The catalogs (bulletin/locale/<locale>/LC_MESSAGES/bulletin.po) replaced the dict; this script exists for the
merges that follow: a branch made before the switch adds entries to the dict. Merging it conflicts in
bulletin/i18n.py; keep the catalog version of that file (`git checkout --ours bulletin/i18n.py`), then run

    python tools/i18n_to_po.py                                # the dict left in the working tree's bulletin/i18n.py
    python tools/i18n_to_po.py --source BRANCH:bulletin/i18n.py --base "$(git merge-base main BRANCH)":bulletin/i18n.py

Keys the catalogs lack are added to both. With --base (the file the branch started from), a key whose text the
branch changed is updated in the catalogs when the catalogs still hold the base text, and reported as a conflict
otherwise; without --base a differing key is only reported. Then delete the dict: the completeness test in
tests/unit/test_render.py fails while any string is left in it. Delete this script once every branch is merged.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "bulletin" / "locale"
DOMAIN = "bulletin"
LOCALES = {"zh": "zh_CN", "en": "en"}  # the dict's language keys -> catalog locales; zh_CN is the source
_LANG_NAMES = {"ZH": "zh", "EN": "en"}


def read_source(spec: str) -> str:
    """The text of SPEC: a file path, or REV:PATH read with `git show`."""
    if ":" in spec and not Path(spec).exists():
        return subprocess.run(["git", "show", spec], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return Path(spec).read_text(encoding="utf-8")


def strings_in(source: str) -> dict[str, dict[str, str]]:
    """The `_STRINGS` dict literal of a bulletin/i18n.py SOURCE ({} when there is none)."""
    for node in ast.walk(ast.parse(source)):
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        )
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if isinstance(target, ast.Name) and target.id == "_STRINGS" and isinstance(value, ast.Dict):
            return {ast.literal_eval(k): _entry(v) for k, v in zip(value.keys, value.values, strict=True) if k}
    return {}


def _entry(node: ast.expr) -> dict[str, str]:
    if not isinstance(node, ast.Dict):
        raise SystemExit(f"line {node.lineno}: an entry is not a {{ZH: ..., EN: ...}} dict")
    out: dict[str, str] = {}
    for k, v in zip(node.keys, node.values, strict=True):
        lang = _LANG_NAMES.get(k.id) if isinstance(k, ast.Name) else ast.literal_eval(k) if k else None
        if lang not in LOCALES:
            raise SystemExit(f"line {node.lineno}: unknown language key")
        out[lang] = ast.literal_eval(v)
    return out


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        header = (
            f"# bulletin-bot chat strings ({locale}). The msgid of each entry is its message key, as passed to\n"
            "# bulletin.i18n.t(); zh_CN is the source language. Add a key to every locale's file (see README).\n"
        )
        return Catalog(locale=locale, domain=DOMAIN, project="bulletin-bot", version="1", header_comment=header,
                       fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def save(catalog: Catalog, locale: str) -> None:
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        # One line per string (width 0) so a key and its text can be found with grep and diffed line by line.
        write_po(f, catalog, width=0, omit_header=False)


def merge(
    strings: dict[str, dict[str, str]], base: dict[str, dict[str, str]] | None, catalogs: dict[str, Catalog]
) -> list[str]:
    """Add or update STRINGS in CATALOGS (by language); return the report lines ("!" first: needs a person)."""
    report: list[str] = []
    for key, texts in strings.items():
        for lang, locale in LOCALES.items():
            text = texts.get(lang)
            if text is None:
                report.append(f"! {key}: no {lang} text in the dict; add it to {po_path(locale).relative_to(ROOT)}")
                continue
            catalog = catalogs[lang]
            message = catalog.get(key)
            if message is None:
                catalog.add(key, text)
                report.append(f"{key} [{lang}]: added")
                continue
            current = message.string
            if current == text:
                continue
            was = (base or {}).get(key, {}).get(lang)
            if base is not None and was == text:
                continue  # only the catalogs changed it (e.g. markup moved to the renderer): keep the catalogs
            if isinstance(current, tuple):
                report.append(f"! {key} [{lang}]: the catalog has plural forms; merge the dict's text by hand")
            elif base is not None and current == was:
                message.string = text
                report.append(f"{key} [{lang}]: updated (the branch changed it)")
            else:
                report.append(f"! {key} [{lang}]: CONFLICT, catalog {current!r} vs dict {text!r}; edit by hand")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=str(ROOT / "bulletin" / "i18n.py"), help="PATH or REV:PATH")
    parser.add_argument("--base", help="REV:PATH of bulletin/i18n.py the source branch started from")
    parser.add_argument("--check", action="store_true", help="only report; write nothing")
    args = parser.parse_args(argv)
    strings = strings_in(read_source(args.source))
    base = strings_in(read_source(args.base)) if args.base else None
    catalogs = {lang: load(locale) for lang, locale in LOCALES.items()}
    report = merge(strings, base, catalogs)
    for line in report:
        print(line)
    if not args.check and any(r.endswith(("added", "(the branch changed it)")) for r in report):
        for lang, locale in LOCALES.items():
            save(catalogs[lang], locale)
    print(f"{len(strings)} keys in the dict; {len(report)} notes.", file=sys.stderr)
    if any("<" in t for texts in strings.values() for t in texts.values()):
        print("Some texts carry HTML: move the markup into the renderer (see bulletin/i18n.py).", file=sys.stderr)
    return 1 if any(r.startswith("!") for r in report) else 0


if __name__ == "__main__":
    raise SystemExit(main())
