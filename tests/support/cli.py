"""The CLI through its real entry point (a subprocess), with two made-up issues (某县河湖治理工作简报) as files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ISSUE_3 = """某县河湖治理工作简报

2024年第3期（总第15期）

某县水利局办公室　　　　2024年3月18日

本期要目

☆全县启动春季河道清淤行动
☆某镇建成生态缓冲带

全县启动春季河道清淤行动

3月上旬，县水利局组织各乡镇开展春季河道清淤，共清理河道42公里。

清淤工作将于4月底前全部完成。

某镇建成生态缓冲带

某镇在主要支流两岸种植水生植物，建成生态缓冲带3公里，景区周边水质明显改善。
"""


ISSUE_4 = """某县河湖治理工作简报

2024年第4期（总第16期）

某县水利局办公室　　　　2024年4月15日

本期要目

☆河长巡河制度全面落实
☆湿地公园景区开园

河长巡河制度全面落实

全县各级河长4月累计巡河1200余次，发现并交办问题35个。

湿地公园景区开园

县湿地公园景区于4月12日正式开园，景区内设观鸟栈道两处。
"""


NOT_A_BULLETIN = "今天天气很好，我们去公园散步。\n"


def _bulletin_bot(db_url: str, config: Path, *args: str, use_env: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    if use_env:
        env["BULLETIN_BOT_DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def write_config(tmp_path: Path) -> Path:
    """A config file that keeps the CLI's log quiet."""
    path = tmp_path / "config.toml"
    path.write_text('[logging]\nlevel = "WARNING"\n', encoding="utf-8")
    return path


def write_files(tmp_path: Path) -> dict[str, Path]:
    """The two made-up issues, a corrected issue 3, a text that is no bulletin and a binary file, in TMP_PATH."""
    out = {}
    for name, content in {
        "issue3.txt": ISSUE_3,
        "issue4.txt": ISSUE_4,
        "issue3-corrected.txt": ISSUE_3.replace("共清理河道42公里", "共清理河道45公里"),
        "notes.txt": NOT_A_BULLETIN,
    }.items():
        out[name] = tmp_path / name
        out[name].write_text(content, encoding="utf-8")
    out["binary.txt"] = tmp_path / "binary.txt"
    out["binary.txt"].write_bytes(bytes(range(256)) * 4)
    return out
