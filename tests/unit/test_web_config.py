"""[web]: the reader's settings, typed at load, with errors that name the key."""

from __future__ import annotations

import datetime as dt

import pytest

from config import ConfigError, config_from_mapping


def test_defaults_keep_the_reader_off_private_and_without_buttons() -> None:
    web = config_from_mapping({}, env={}).web
    assert (web.enabled, web.public, web.base_url, web.listen_port) == (False, False, "", 8080)
    assert web.init_data_max_age == dt.timedelta(hours=24) and web.signin_ttl == dt.timedelta(minutes=15)


@pytest.mark.parametrize(
    ("web", "message"),
    [
        ({"base_url": "http://reader.example.org"}, r"web\.base_url: must be an https:// address"),
        ({"base_url": "reader.example.org"}, r"web\.base_url: must be an https:// address"),
        ({"base_url": "http://localhost:8080"}, r"web\.base_url: must be an https:// address"),
        ({"base_url": "https://reader/bulletin"}, r"web\.base_url: Telegram refuses links to a host name without"),
        ({"base_url": "https://reader.example.org/?x=1"}, r"web\.base_url: must have no query or fragment"),
        ({"listen_port": 0}, r"web\.listen_port: must be between 1 and 65535"),
        ({"signin_ttl": "0"}, r"web\.signin_ttl: must be greater than 0"),
        ({"init_data_max_age": "3600"}, r"web\.init_data_max_age: "),
        ({"public": "yes"}, r"web\.public: expected true or false"),
        ({"theme": "dark"}, r"web\.theme: unknown key"),
    ],
)
def test_invalid_values_are_refused_naming_the_key(web: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_mapping({"web": web}, env={})


def test_plain_http_is_accepted_for_a_loopback_address_only() -> None:
    assert config_from_mapping({"web": {"base_url": "http://127.0.0.1:8080"}}, env={}).web.base_url
    assert config_from_mapping({"web": {"base_url": "https://reader.example.org/bulletin"}}, env={}).web.base_url
