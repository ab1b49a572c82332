"""Reproducible randomised tests: the `random_seed` fixture and the report hook that prints it on failure.

tests/conftest.py re-exports both. A test taking `random_seed` gets BULLETIN_BOT_TEST_SEED when that is set, else a
new seed; whatever fails in it (setup, the test, teardown) adds a "random seed" section to the failure report with
the line that replays it.
"""

from __future__ import annotations

import os
import random
from collections.abc import Generator
from typing import Any

import pytest

SEED_ENV = "BULLETIN_BOT_TEST_SEED"


@pytest.fixture
def random_seed(request: pytest.FixtureRequest) -> int:
    """The seed for this test: $BULLETIN_BOT_TEST_SEED, or a new random one; reported if the test fails."""
    raw = os.environ.get(SEED_ENV, "").strip()
    try:
        value = int(raw) if raw else random.randrange(1_000_000)
    except ValueError:
        pytest.fail(f"{SEED_ENV}={raw!r} is not an integer")
    request.node.user_properties.append(("random_seed", value))
    return value


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    """Add the test's random seed to the report of any failing phase."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.failed:
        for name, value in item.user_properties:
            if name == "random_seed":
                report.sections.append(("random seed", f"seed {value}; replay with {SEED_ENV}={value}"))
