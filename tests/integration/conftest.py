"""Fixtures of the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import write_config, write_files


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return write_files(tmp_path)
