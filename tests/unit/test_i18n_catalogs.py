"""The gettext catalogs behind bulletin.i18n: loading (.mo, or the .po when the .mo is stale), plural forms, the
completeness check failing on what it must catch, English plural forms wherever a count appears, the build step."""

from __future__ import annotations

import io
import os
import re
import shutil
import string
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po

from bulletin.i18n import EN, ZH, Catalogs, catalog_problems, compile_po, t

ROOT = Path(__file__).resolve().parents[2]


def write_catalogs(directory: Path, zh: dict[str, str | tuple[str, tuple[str, ...]]],
                   en: dict[str, str | tuple[str, tuple[str, ...]]]) -> dict[str, Path]:
    """Write a zh_CN and an en .po under DIRECTORY; a tuple value is (count placeholder, plural forms)."""
    paths = {}
    for locale, entries in (("zh_CN", zh), ("en", en)):
        catalog = Catalog(locale=locale, domain="bulletin")
        for key, value in entries.items():
            if isinstance(value, tuple):
                catalog.add((key, "{" + value[0] + "}"), value[1])
            else:
                catalog.add(key, value)
        path = directory / locale / "LC_MESSAGES" / "bulletin.po"
        path.parent.mkdir(parents=True)
        buf = io.BytesIO()
        write_po(buf, catalog)
        path.write_bytes(buf.getvalue())
        paths[locale] = path
    return paths


def texts_of(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """Key -> forms of every entry (read_mo gives lists where read_po gives tuples)."""
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): (m.string,) if isinstance(m.string, str) else tuple(m.string)
        for m in catalog
        if m.id
    }


# --- what users see


def test_english_counts_take_the_singular_for_one_and_chinese_has_one_form() -> None:
    heading = {"title": "Search “x”", "page": 1, "pages": 1}
    assert t(EN, "search_heading", total=1, **heading) == "Search “x”: 1 result (page 1/1)"
    assert t(EN, "search_heading", total=3, **heading) == "Search “x”: 3 results (page 1/1)"
    assert t(EN, "search_heading", total=0, **heading) == "Search “x”: 0 results (page 1/1)"
    assert t(ZH, "search_heading", total=1, **{**heading, "title": "搜索“x”"}) == "搜索“x”：共1条结果（第1/1页）"
    assert t(EN, "access_invite_uses", uses=1) == "1 use"
    assert t(EN, "access_invite_uses", uses=10) == "10 uses"
    assert t(ZH, "access_invite_uses", uses=1) == "可使用 1 次"
    assert t(EN, "receipts_coverage_missing", missing=1, count=3) == "1 of 3 departments has no subscriber:"
    assert t(EN, "receipts_coverage_missing", missing=2, count=3) == "2 of 3 departments have no subscriber:"
    # Counts past the precomputed small ones go through the plural rule itself.
    assert t(EN, "access_subscribers_heading", count=1001) == "Active subscriptions: 1001 chats"
    assert t(EN, "access_subscribers_heading", count=1) == "Active subscriptions: 1 chat"
    assert t(ZH, "access_subscribers_heading", count=1001) == "当前订阅：1001 个会话"


def test_an_unknown_language_gets_chinese_and_an_unknown_key_raises() -> None:
    assert t("de", "btn_ack") == "✅ 已阅"
    assert t(EN, "btn_ack") == "✅ Read"
    with pytest.raises(KeyError):
        t(EN, "no_such_key")


def test_headings_carry_no_markup_the_renderer_adds_it() -> None:
    assert t(ZH, "help_heading") == "命令一览" and not t(ZH, "help").startswith("命令一览")
    assert t(EN, "receipts_stats_total") == "Total"
    assert "<" not in t(ZH, "access_request_admin", name="n", chat_id=5, chat_type="private", department="d")


# --- loading


def test_a_missing_or_stale_mo_is_compiled_from_the_po_and_a_fresh_one_is_used(tmp_path: Path) -> None:
    paths = write_catalogs(tmp_path, {"hi": "你好"}, {"hi": "Hello"})
    assert Catalogs(tmp_path).compiled_from == {ZH: "po", EN: "po"}  # no .mo yet (a fresh checkout)

    # A .mo compiled from an older text, older than the .po: the .po wins.
    old = write_catalogs(tmp_path / "old", {"hi": "旧"}, {"hi": "Old"})
    for locale, po in paths.items():
        mo = po.with_suffix(".mo")
        mo.write_bytes(compile_po(old[locale].read_bytes()))
        os.utime(mo, (po.stat().st_mtime - 60, po.stat().st_mtime - 60))
    stale = Catalogs(tmp_path)
    assert stale.compiled_from == {ZH: "po", EN: "po"}
    assert stale.template(EN, "hi", {}) == "Hello"

    # Compiled after the .po: the .mo is read (here it still holds the old text, which shows it was used).
    for po in paths.values():
        os.utime(po.with_suffix(".mo"), (po.stat().st_mtime + 5, po.stat().st_mtime + 5))
    fresh = Catalogs(tmp_path)
    assert fresh.compiled_from == {ZH: "mo", EN: "mo"}
    assert fresh.template(EN, "hi", {}) == "Old"


def test_a_key_missing_in_english_falls_back_to_chinese(tmp_path: Path) -> None:
    write_catalogs(tmp_path, {"hi": "你好", "bye": "再见"}, {"hi": "Hello"})
    catalogs = Catalogs(tmp_path)
    assert catalogs.template(EN, "bye", {}) == "再见"
    assert catalogs.keys() == {"hi", "bye"}


# --- the completeness check fails on what it must catch


def test_the_completeness_check_names_every_kind_of_problem(tmp_path: Path) -> None:
    write_catalogs(
        tmp_path,
        {"ok": "好{n}", "only_zh": "仅中文", "places": "{a}和{b}", "marked": "<b>粗</b>",
         "n": ("count", ("{count}个",)), "lost": ("count", ("若干",))},
        {"ok": "fine {n}", "places": "{a} and {c}", "marked": "bold", "n": ("count", ("{count} one", "{count} two")),
         "only_en": "English only", "lost": ("count", ("some", "{count} more"))},
    )
    problems = catalog_problems(tmp_path)
    assert "only_zh: no en text" in problems
    assert "only_en: no zh_CN text" in problems
    assert "places [en]: placeholders ['a', 'c'] differ from the Chinese ['a', 'b']" in problems
    assert "marked [zh_CN]: markup in the text; let the renderer add it" in problems
    assert "lost [zh_CN]: the count {count} is not in every plural form" in problems
    assert not any(p.startswith(("ok", "n ")) for p in problems)


def test_a_po_that_does_not_parse_is_a_problem(tmp_path: Path) -> None:
    paths = write_catalogs(tmp_path, {"hi": "你好"}, {"hi": "Hello"})
    paths["en"].write_text('msgid "hi"\nmsgstr "Hello"\nnonsense\n', encoding="utf-8")
    [problem] = catalog_problems(tmp_path)
    assert problem.startswith("the catalogs do not load")


def test_a_key_written_twice_is_a_problem(tmp_path: Path) -> None:
    # Babel keeps the first of two entries with one msgid: after a careless merge the second text would be lost.
    paths = write_catalogs(tmp_path, {"hi": "你好"}, {"hi": "Hello"})
    with paths["en"].open("a", encoding="utf-8") as f:
        f.write('\nmsgid "hi"\nmsgstr "Hi again"\n')
    assert catalog_problems(tmp_path) == ["hi [en]: written 2 times in the .po"]


# --- the build step


def test_the_wheel_carries_the_compiled_catalogs(tmp_path: Path) -> None:
    # Build from a copy of the sources without any .mo, so the build step itself must write them.
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "*.mo", ".*cache",
                                    ".hypothesis", "bench")
    shutil.copytree(ROOT, src, ignore=ignore)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(tmp_path / "dist")],
                         cwd=src, capture_output=True, text=True, timeout=280)
    assert out.returncode == 0, out.stderr
    [wheel] = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        for locale in ("zh_CN", "en"):
            name = f"bulletin/locale/{locale}/LC_MESSAGES/bulletin"
            mo = read_mo(io.BytesIO(z.read(name + ".mo")))
            po = read_po(io.BytesIO(z.read(name + ".po")))
            assert texts_of(mo) == texts_of(po) and "help" in texts_of(mo)


def test_no_english_text_says_one_of_something_in_the_plural() -> None:
    # Every placeholder filled with 1: a count followed by a plural noun ("1 articles") needs plural forms.
    from bulletin.i18n import _loaded

    catalogs = _loaded()
    # ("1 of 1 departments" is a share, not a count of one: it may stay plural.)
    counted_plural = re.compile(r"(?<!of )\b1[ -](?:[A-Za-z]+ )?(?!(?:is|was|has|does)\b)[A-Za-z]+s\b")
    wrong = []
    for key in sorted(catalogs.keys()):
        forms = catalogs.forms[EN].get(key) or (catalogs.text[EN].get(key, ""),)
        names = {f.split(".")[0] for text in forms for _, f, _, _ in string.Formatter().parse(text) if f}
        text = t(EN, key, **dict.fromkeys(names, 1))
        wrong += [f"{key}: {m[0]}" for m in counted_plural.finditer(text)]
    assert wrong == []


def test_english_counts_pick_the_singular_for_one_and_the_plural_otherwise() -> None:
    assert t(EN, "issue_choose_date", count=1, date="1 May") == "1 issue is dated 1 May; choose one:"
    assert t(EN, "issue_choose_date", count=2, date="1 May") == "2 issues are dated 1 May; choose one:"
    assert t(EN, "department_invalid", max=1).startswith("A department name must be 1 to 1 character;")
    assert "for the 1 chat that received" in t(EN, "desk_correction_request", title="T", action="A", count=1,
                                                 label="L", proposer="P")


def test_no_text_lists_a_command_twice() -> None:
    """A union merge of two branches' .po files once kept both versions of /help: every line twice, in two forms."""
    root = Path(__file__).resolve().parents[2] / "bulletin" / "locale"
    for lang in ("zh_CN", "en"):
        with open(root / lang / "LC_MESSAGES" / "bulletin.po", "rb") as f:
            catalog = read_po(f)
        for message in catalog:
            texts = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in texts:
                commands = [m[1] for m in re.finditer(r"^(/\w+) — ", text or "", re.M)]
                assert len(commands) == len(set(commands)), (lang, message.id, commands)
