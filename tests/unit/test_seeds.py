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
    pytester.makeconftest("from support.seeds import pytest_runtest_makereport, random_seed  # noqa: F401\n")
    pytester.makepyfile(test_dice=FAILING)
    return pytester


@pytest.mark.parametrize("env", ["4711", None], ids=["from-env", "new"])
def test_a_failing_randomised_test_prints_its_seed(
    dice: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, env: str | None
) -> None:
    if env is None:
        monkeypatch.delenv("BULLETIN_BOT_TEST_SEED", raising=False)
    else:
        monkeypatch.setenv("BULLETIN_BOT_TEST_SEED", env)
    result = dice.runpytest(*QUIET)
    result.assert_outcomes(failed=1)
    seed = env or r"\d+"
    result.stdout.re_match_lines([r"^-+ random seed -+$", rf"^seed ({seed}); replay with BULLETIN_BOT_TEST_SEED=\1$"])


def test_a_seed_that_is_not_a_number_is_a_clear_failure(
    dice: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_BOT_TEST_SEED", "abc")
    result = dice.runpytest(*QUIET)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*BULLETIN_BOT_TEST_SEED='abc' is not an integer*"])


def test_a_passing_test_prints_no_seed(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETIN_BOT_TEST_SEED", "4711")
    pytester.makeconftest("from support.seeds import pytest_runtest_makereport, random_seed  # noqa: F401\n")
    pytester.makepyfile(test_dice="def test_roll(random_seed):\n    assert random_seed == 4711\n")
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=1)
    assert "replay with" not in result.stdout.str()
