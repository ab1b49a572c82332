"""A randomised test prints its seed whenever it fails, and BULLETIN_BOT_TEST_SEED replays it (tests/seeds.py)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:cacheprovider", "-p", "no:asyncio")
FAILING = """
def test_roll(random_seed):
    assert random_seed < 0
"""


@pytest.fixture
def dice(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest("from seeds import pytest_runtest_makereport, random_seed  # noqa: F401\n")
    pytester.makepyfile(test_dice=FAILING)
    return pytester


def test_the_seed_from_the_environment_is_used_and_printed_on_failure(
    dice: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_BOT_TEST_SEED", "4711")
    result = dice.runpytest(*QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*random seed*", "seed 4711; replay with BULLETIN_BOT_TEST_SEED=4711"])


def test_a_new_seed_is_printed_too(dice: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BULLETIN_BOT_TEST_SEED", raising=False)
    result = dice.runpytest(*QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines([r"^seed (\d+); replay with BULLETIN_BOT_TEST_SEED=\1$"])


def test_a_seed_that_is_not_a_number_is_a_clear_failure(
    dice: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_BOT_TEST_SEED", "abc")
    result = dice.runpytest(*QUIET)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*BULLETIN_BOT_TEST_SEED='abc' is not an integer*"])


def test_a_passing_test_prints_no_seed(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETIN_BOT_TEST_SEED", "4711")
    pytester.makeconftest("from seeds import pytest_runtest_makereport, random_seed  # noqa: F401\n")
    pytester.makepyfile(test_dice="def test_roll(random_seed):\n    assert random_seed == 4711\n")
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=1)
    assert "replay with" not in result.stdout.str()
