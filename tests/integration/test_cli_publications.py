"""`bulletin-bot issues | show | search | publish --publication NAME` through the real entry point, with two
publications (the made-up 某县河湖治理工作简报 and a 专报 of the same office), on SQLite and (when configured)
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from support.cli import ISSUE_3, ISSUE_4, _bulletin_bot

REPORT = "某县河湖治理工作专报"


def _setup(tmp_path: Path, db_url: str) -> Path:
    config = tmp_path / "pubs.toml"
    config.write_text(
        '[logging]\nlevel = "WARNING"\n\n'
        '[publications."某县河湖治理工作简报"]\nname = "简报"\n\n'
        f'[publications."{REPORT}"]\nname = "专报"\n',
        encoding="utf-8",
    )
    files = []
    for name, text in (("b3.txt", ISSUE_3), ("b4.txt", ISSUE_4), ("r3.txt", ISSUE_3.replace("简报", "专报", 1))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    result = _bulletin_bot(db_url, config, "import", *files)
    assert result.returncode == 0, result.stderr
    return config


def test_cli_takes_a_publication(tmp_path: Path, db_url: str) -> None:
    config = _setup(tmp_path, db_url)

    listing = _bulletin_bot(db_url, config, "issues")
    assert [line.split()[:3] for line in listing.stdout.splitlines()] == [
        ["2024-4", "2024-04-15", "[简报]"], ["2024-3", "2024-03-18", "[专报]"], ["2024-3", "2024-03-18", "[简报]"],
    ]
    only = _bulletin_bot(db_url, config, "issues", "--publication", "专报")
    assert [line.split()[:3] for line in only.stdout.splitlines()] == [["2024-3", "2024-03-18", "[专报]"]]
    by_masthead = _bulletin_bot(db_url, config, "issues", "--publication", REPORT)
    assert by_masthead.stdout == only.stdout

    # 2024-3 is in both: listed with a hint, or shown with --publication.
    ambiguous = _bulletin_bot(db_url, config, "show", "2024-3")
    assert ambiguous.returncode == 0
    assert ambiguous.stdout.splitlines()[0] == "2 issues match 2024-3; show one by its reference:"
    assert "[专报] 2024年第3期（总第15期）" in ambiguous.stdout and "[简报] 2024年第3期（总第15期）" in ambiguous.stdout
    shown = _bulletin_bot(db_url, config, "show", "--publication", "专报", "2024-3")
    assert shown.returncode == 0 and shown.stdout.startswith(f"{REPORT}\n2024年第3期（总第15期）\n")
    article = _bulletin_bot(db_url, config, "show", "2024-3", "1", "--publication", "简报")
    assert article.stdout.startswith("全县启动春季河道清淤行动\n")

    found = _bulletin_bot(db_url, config, "search", "清淤")
    assert found.stdout.splitlines()[0] == "2 articles match '清淤':"
    scoped = _bulletin_bot(db_url, config, "search", "清淤", "--publication", "专报")
    assert scoped.stdout.splitlines()[:2] == [
        "1 article matches '清淤':", "1. [专报] 2024年第3期（总第15期） · article 1 · 全县启动春季河道清淤行动",
    ]

    for command in (("search", "清淤"), ("publish", "2024-3", "--now")):
        unknown = _bulletin_bot(db_url, config, *command, "--publication", "周报")
        assert unknown.returncode == 2
        assert unknown.stderr == "bulletin-bot: --publication: no publication named '周报' (publications: 简报, 专报)\n"

    refused = _bulletin_bot(db_url, config, "publish", "2024-3", "--now")
    assert refused.returncode == 2 and "choose one with --publication NAME" in refused.stderr
    published = _bulletin_bot(db_url, config, "publish", "2024-3", "--now", "--publication", "专报")
    assert published.returncode == 0, published.stderr
    assert published.stdout.startswith("2024年第3期（总第15期）: push #1 scheduled now; 0 active subscribers")
