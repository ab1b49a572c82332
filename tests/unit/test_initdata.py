"""Telegram Mini App initData validation (web/initdata.py), as https://core.telegram.org/bots/webapps specifies.

The last tests cross-check with an independent implementation (the init-data-py package: its own signer and its own
validator), so that the project's signer is not the only thing checking the project's validator.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qsl, urlencode

import init_data_py
import init_data_py.errors
import pytest

from web.initdata import InitDataError, Refusal, sign, validate

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(hours=24)
USER = json.dumps({"id": 279058397, "first_name": "王", "last_name": "小明", "language_code": "zh-hans"},
                  ensure_ascii=False, separators=(",", ":"))


def _fields(auth_date: dt.datetime = NOW) -> dict[str, str]:
    return {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": USER,
        "auth_date": str(int(auth_date.timestamp())),
        "chat_instance": "-7420418736497386112",
        "chat_type": "private",
    }


def _check(init_data: str, token: str = TOKEN) -> Refusal | int:
    try:
        return validate(init_data, token, now=NOW, max_age=DAY).id
    except InitDataError as exc:
        return exc.reason


def test_valid_init_data_names_the_user() -> None:
    user = validate(sign(_fields(), TOKEN), TOKEN, now=NOW, max_age=DAY)
    assert (user.id, user.first_name, user.language_code) == (279058397, "王", "zh-hans")
    assert user.auth_date == NOW


@pytest.mark.parametrize("field", ["query_id", "user", "auth_date", "chat_instance", "chat_type"])
def test_each_field_tampered_is_refused(field: str) -> None:
    pairs = dict(parse_qsl(sign(_fields(), TOKEN)))
    pairs[field] = pairs[field].replace("7", "8") if "7" in pairs[field] else pairs[field] + "x"
    assert _check(urlencode(pairs)) is Refusal.BAD_HASH


def test_an_added_field_is_refused() -> None:
    pairs = dict(parse_qsl(sign(_fields(), TOKEN)))
    pairs["start_param"] = "admin"
    assert _check(urlencode(pairs)) is Refusal.BAD_HASH


def test_a_tampered_hash_is_refused() -> None:
    pairs = dict(parse_qsl(sign(_fields(), TOKEN)))
    pairs["hash"] = ("0" if pairs["hash"][0] != "0" else "1") + pairs["hash"][1:]
    assert _check(urlencode(pairs)) is Refusal.BAD_HASH


def test_data_signed_with_another_bot_token_is_refused() -> None:
    assert _check(sign(_fields(), "654321:ZYX-other-bot-token")) is Refusal.BAD_HASH


def test_expired_auth_date_is_refused_and_just_fresh_is_accepted() -> None:
    assert _check(sign(_fields(NOW - DAY - dt.timedelta(seconds=1)), TOKEN)) is Refusal.STALE
    assert _check(sign(_fields(NOW - DAY + dt.timedelta(seconds=1)), TOKEN)) == 279058397


def test_auth_date_from_the_future_is_refused() -> None:
    assert _check(sign(_fields(NOW + dt.timedelta(hours=1)), TOKEN)) is Refusal.STALE


def test_missing_hash_is_refused() -> None:
    pairs = dict(parse_qsl(sign(_fields(), TOKEN)))
    del pairs["hash"]
    assert _check(urlencode(pairs)) is Refusal.NO_HASH


def test_missing_empty_or_malformed_data_is_refused() -> None:
    assert _check("") is Refusal.MISSING
    assert _check("not a query string") is Refusal.MALFORMED
    assert _check("a" * 10_000) is Refusal.MALFORMED
    signed = sign(_fields(), TOKEN)
    assert _check(signed + "&user=" + "x") is Refusal.MALFORMED  # a field twice: which one did the hash cover?
    assert _check(signed.replace("hash=", "hash=%E4%B8%AD")) is Refusal.BAD_HASH  # non-ASCII hash: no TypeError


def test_signed_data_without_a_user_is_malformed() -> None:
    fields = _fields()
    del fields["user"]
    assert _check(sign(fields, TOKEN)) is Refusal.MALFORMED


# --- an independent implementation


def test_a_vector_signed_by_init_data_py_is_accepted() -> None:
    """init-data-py's own signer (init_data_py.sign) produced this initData; our validator must accept it."""
    fields = _fields()
    auth_date = int(fields.pop("auth_date"))
    vector = init_data_py.sign(fields, TOKEN, auth_date=auth_date)
    assert "hash=" in vector
    assert _check(vector) == 279058397
    assert _check(vector, "123456:another-token") is Refusal.BAD_HASH


def test_our_signature_passes_init_data_py_validator() -> None:
    """What our signer produces (the tests' Mini App initData) is what Telegram would send: the independent
    validator accepts it, and rejects it once a field is changed."""
    signed = sign(_fields(), TOKEN)
    parsed = init_data_py.validate_by_hash(signed, TOKEN, expires_in=DAY, now=NOW)
    assert parsed.user is not None and parsed.user.id == 279058397
    tampered = signed.replace("chat_type=private", "chat_type=group")
    with pytest.raises(init_data_py.errors.HashInvalidError):
        init_data_py.validate_by_hash(tampered, TOKEN, expires_in=DAY, now=NOW)
