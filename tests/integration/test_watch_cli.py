"""`bulletin-bot watch …` through the real entry point against the local test website."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.website import OfficeSite, index_page, issue_document, serve


@pytest.fixture
def site() -> Iterator[OfficeSite]:
    with serve(OfficeSite()) as served:
        yield served


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), *args],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=180,
    )


def test_add_list_run_status_backfill_remove(site: OfficeSite, db_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n[network]\nallow_private = true\n[watch]\nper_host_interval = "0"\n'
        '[logging]\nlevel = "WARNING"\n', encoding="utf-8",
    )
    config.chmod(0o600)
    site.put("/jb/1.html", issue_document(1, "html"))
    site.put("/jb/2.pdf", issue_document(2, "pdf"), "application/pdf")
    entries = [("/jb/2.pdf", "2025年2月3日 工作简报第2期"), ("/jb/1.html", "2025年1月6日 工作简报第1期")]
    site.put("/jb/", index_page(entries))
    url = site.url("/jb/")

    added = cli(config, "watch", "add", url, "--every", "10m", "--mode", "preview")
    assert added.returncode == 0, added.stderr
    assert f"watching #1 {url} every 10m (preview)" in added.stdout
    again = cli(config, "watch", "add", url)
    assert again.returncode == 1 and "watched already" in again.stderr
    bad = cli(config, "watch", "add", "ftp://example.org/x")
    assert bad.returncode == 2 and "not an http or https URL" in bad.stderr
    assert f"#1  {url}  every 10m  preview  auto  (added)" in cli(config, "watch", "list").stdout

    first = cli(config, "watch", "run", "--once")
    assert first.returncode == 0, first.stderr
    assert "first poll, 2 items recorded as history (not imported)" in first.stdout
    assert site.hits["/jb/1.html"] == site.hits["/jb/2.pdf"] == 0

    site.put("/jb/3.docx", issue_document(3, "docx"),
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    site.put("/jb/", index_page([("/jb/3.docx", "工作简报第3期"), *entries]))
    second = cli(config, "watch", "run", "--once", "1")
    assert "1 new, 0 seen before under another URL" in second.stdout
    assert "1 new documents wait for the running bot" in second.stdout
    status = cli(config, "watch", "status").stdout
    assert "documents: baseline 2, found 1" in status and ": ok" in status

    backfilled = cli(config, "watch", "backfill", "1", "--since", "2025-02-01")
    assert backfilled.returncode == 0, backfilled.stderr
    assert f"{url}: 1 imported, 0 already stored, 0 seen before, 0 failed" in backfilled.stdout
    issues = cli(config, "issues").stdout
    assert "2025年第2期" in issues and "2025年第1期" not in issues
    assert site.downloads("/jb/1.html") == 0  # dated before --since: not even downloaded

    removed = cli(config, "watch", "remove", url)
    assert removed.returncode == 0 and "stopped watching #1" in removed.stdout
    assert "no sources watched" in cli(config, "watch", "list").stdout
