"""Flood limits (429 with retry_after) and injected faults of the local Bot API server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from support.localbotapi import TOKEN, Reply, call

from localbotapi import Limits, LocalBotApi
from localbotapi.limits import SlidingWindow, per_second_window, retry_after_seconds

MakeServer = Callable[[Limits | None], LocalBotApi]


@pytest.fixture
def make_server() -> Iterator[Callable[[Limits | None], LocalBotApi]]:
    started: list[LocalBotApi] = []

    def factory(limits: Limits | None = None) -> LocalBotApi:
        s = LocalBotApi(limits=limits)
        s.start()
        started.append(s)
        s.add_bot(TOKEN)
        for uid in range(1, 11):
            s.add_user(uid, f"U{uid}")
        s.add_group(-100, "群一")
        s.add_group(-200, "群二", type="supergroup")
        s.add_group(-1000000000300, "频道", type="channel")
        return s

    yield factory
    for s in started:
        s.stop()


def assert_429(reply: Reply) -> int:
    assert reply.status == 429
    n = reply.body["parameters"]["retry_after"]
    assert isinstance(n, int) and n >= 1
    assert reply.body == {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {n}",
        "parameters": {"retry_after": n},
    }
    assert reply.headers["Retry-After"] == str(n)
    return n


def send(s: LocalBotApi, chat_id: int, text: str = "x", **kw: Any) -> Reply:
    return call(s, "sendMessage", chat_id=chat_id, text=text, **kw)


# The HTTP tests use rates of at most one message per few seconds, so that a slow, loaded machine cannot
# spread the sends out far enough to slip under a limit; the counting itself is tested with explicit times.


def test_sliding_window_counts_and_retry_after() -> None:
    w = SlidingWindow(*per_second_window(30))
    assert (w.limit, w.period) == (30, 1.0)
    for i in range(30):
        assert w.wait_time(100.0 + i * 0.01) == 0.0
        w.record(100.0 + i * 0.01)
    assert w.wait_time(100.5) == pytest.approx(0.5)
    assert retry_after_seconds(w.wait_time(100.5)) == 1
    assert w.wait_time(100.995) == pytest.approx(0.005)
    assert w.wait_time(101.0) == 0.0  # the first send leaves the window one second after it was made
    group = SlidingWindow(20, 60.0)
    for i in range(20):
        group.record(float(i))
    assert retry_after_seconds(group.wait_time(20.0)) == 40
    assert per_second_window(0.5) == (1, 2.0)
    assert per_second_window(1.5) == (1, 1.0)  # fractional rates round down: stricter


def test_overall_limit_per_bot(make_server: MakeServer) -> None:
    s = make_server(Limits(overall_per_second=0.2))
    assert send(s, 1).status == 200
    assert 1 <= assert_429(send(s, 2)) <= 5  # another chat: the bot-wide limit applies
    assert s.method_counts()[("sendMessage", 429)] == 1
    assert s.sent_count() == 1


def test_private_chat_limit_and_recovery_after_retry_after(make_server: MakeServer) -> None:
    s = make_server(Limits(private_per_second=0.5))
    assert send(s, 1).status == 200
    n = assert_429(send(s, 1))
    assert 1 <= n <= 2
    assert send(s, 2).status == 200  # other chats are not affected
    time.sleep(n)
    assert send(s, 1).status == 200


def test_group_limit_per_minute(make_server: MakeServer) -> None:
    s = make_server(Limits(group_per_minute=3))
    for chat in (-100, -200, -1000000000300):
        assert [send(s, chat).status for _ in range(3)] == [200] * 3
        n = assert_429(send(s, chat))
        assert 1 <= n <= 60
    assert s.method_counts()[("sendMessage", 429)] == 3


def test_documents_count_against_the_limits(make_server: MakeServer) -> None:
    s = make_server(Limits(private_per_second=0.1))
    assert send(s, 3).status == 200
    r = httpx.post(
        f"{s.api_base_url()}{TOKEN}/sendDocument", data={"chat_id": "3"}, files={"document": ("a.txt", b"a")}
    )
    assert r.status_code == 429


def test_paid_broadcast_uses_its_own_limit(make_server: MakeServer) -> None:
    s = make_server(Limits(overall_per_second=0.2, paid_per_second=0.2))
    assert send(s, 1, allow_paid_broadcast=True).status == 200
    assert_429(send(s, 2, allow_paid_broadcast=True))
    # the ordinary limit is untouched by paid sends, and the other way round
    assert send(s, 3).status == 200
    assert_429(send(s, 4))
    assert [m.paid_broadcast for m in s.messages(1)] == [True]
    assert [m.paid_broadcast for m in s.messages(3)] == [False]


def test_edits_callbacks_and_updates_are_not_rate_limited(make_server: MakeServer) -> None:
    s = make_server(Limits(private_per_second=1, overall_per_second=1))
    markup = {"inline_keyboard": [[{"text": "b", "callback_data": "d"}]]}
    mid = send(s, 1, reply_markup=markup).result["message_id"]
    for i in range(5):
        r = call(s, "editMessageText", chat_id=1, message_id=mid, text=f"v{i}", reply_markup=markup)
        assert r.status == 200
    q = s.press_button(TOKEN, 1, mid, "d", 1)
    assert call(s, "answerCallbackQuery", callback_query_id=q["id"]).status == 200
    assert all(call(s, "getUpdates").status == 200 for _ in range(5))


def test_limits_can_be_switched_off(make_server: MakeServer) -> None:
    s = make_server(Limits(enabled=False))
    assert all(send(s, 1).status == 200 for _ in range(40))
    s.set_limits(Limits(private_per_second=0.1))
    assert send(s, 1).status == 200
    assert send(s, 1).status == 429


# ---------------------------------------------------------------------------- faults


def fault_kinds(s: LocalBotApi) -> list[str]:
    return [f["kind"] for f in s.faults()]


def safe_send(s: LocalBotApi, chat_id: int, text: str) -> int:
    try:
        r = httpx.post(
            f"{s.api_base_url()}{TOKEN}/sendMessage", json={"chat_id": chat_id, "text": text}, timeout=1.0
        )
    except httpx.TransportError:
        return 0
    return r.status_code


def test_faults_are_reproducible_by_seed_and_capped_by_count(make_server: MakeServer) -> None:
    runs = []
    for _ in range(2):
        s = make_server(Limits(enabled=False))
        s.inject_faults(rate=0.3, kinds=("502", "429", "drop"), seed=7, methods={"sendMessage"})
        statuses = [safe_send(s, 1, f"m{i}") for i in range(40)]
        runs.append((statuses, fault_kinds(s)))
    assert runs[0] == runs[1]
    statuses = runs[0][0]
    assert {502, 429, 0} <= set(statuses) and 200 in statuses

    s = make_server(Limits(enabled=False))
    s.inject_faults(rate=1.0, kinds=("502",), count=3)
    assert [safe_send(s, 1, "x") for _ in range(5)] == [502, 502, 502, 200, 200]


def test_faults_only_hit_the_named_methods(make_server: MakeServer) -> None:
    s = make_server(Limits(enabled=False))
    s.inject_faults(rate=1.0, kinds=("502",), methods={"SendMessage"})
    assert call(s, "getMe").status == 200
    assert safe_send(s, 1, "x") == 502
    r = httpx.post(f"{s.api_base_url()}{TOKEN}/sendMessage", json={"chat_id": 1, "text": "x"})
    assert "502 Bad Gateway" in r.text and r.headers["Content-Type"].startswith("text/html")


def test_forced_429_carries_retry_after(make_server: MakeServer) -> None:
    s = make_server(Limits(enabled=False))
    s.inject_faults(rate=1.0, kinds=("429",), retry_after=4)
    assert assert_429(send(s, 1)) == 4
    assert s.messages(1) == []


@pytest.mark.parametrize("kind", ["drop", "hang"])
def test_delivered_before_fault_or_not(make_server: MakeServer, kind: str) -> None:
    s = make_server(Limits(enabled=False))
    s.inject_faults(rate=1.0, kinds=(kind,), deliver_before_fault=1.0)
    assert safe_send(s, 1, "delivered") == 0
    s.inject_faults(rate=1.0, kinds=(kind,), deliver_before_fault=0.0)
    assert safe_send(s, 1, "lost") == 0
    s.clear_faults()
    assert [m.text for m in s.messages(1)] == ["delivered"]
    [first, second] = s.faults()
    assert first == {"method": "sendMessage", "kind": kind, "delivered": True, "message_id": 1, "chat_id": 1}
    assert second == {"method": "sendMessage", "kind": kind, "delivered": False}
    assert s.method_counts()[("sendMessage", 0)] == 2


def test_mixed_delivery_probability(make_server: MakeServer) -> None:
    s = make_server(Limits(enabled=False))
    s.inject_faults(rate=1.0, kinds=("drop",), deliver_before_fault=0.5, seed=3)
    for i in range(30):
        safe_send(s, 1, f"m{i}")
    delivered = [f["delivered"] for f in s.faults()]
    assert True in delivered and False in delivered
    assert len(s.messages(1)) == delivered.count(True)


def test_stop_does_not_wait_for_hanging_requests() -> None:
    s = LocalBotApi(limits=Limits(enabled=False))
    s.start()
    s.add_bot(TOKEN)
    s.add_user(1, "U")
    s.inject_faults(rate=1.0, kinds=("hang",), hang_seconds=600)
    outcome: list[str] = []

    def hanging() -> None:
        try:
            httpx.post(f"{s.api_base_url()}{TOKEN}/getMe", timeout=300)
            outcome.append("answered")
        except httpx.TransportError as exc:
            outcome.append(type(exc).__name__)

    t = threading.Thread(target=hanging)
    t.start()
    assert s.wait_for(lambda: s.method_counts()[("getMe", 0)] == 1, 10)
    s.stop()
    t.join(30)
    assert not t.is_alive()
    assert outcome and outcome[0] != "answered"
