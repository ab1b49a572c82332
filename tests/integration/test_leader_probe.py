"""probe_leader: another process (doctor, publish) sees whether a bot leads on the database, without leading."""

from __future__ import annotations

import asyncio
import os

from jobs.leader import LeaderProbe, Leadership, probe_leader
from storage.db import open_database


async def test_the_probe_sees_a_leader_and_never_takes_leadership_itself(db_url: str) -> None:
    engine, _factory = open_database(db_url)
    try:
        assert probe_leader(engine) == LeaderProbe(False)
        leader = Leadership(engine)
        await leader.acquire(wait=False)
        try:
            probe = probe_leader(engine)
            assert probe.running
            if engine.dialect.name == "sqlite":
                assert probe.pid == os.getpid()  # the leader writes its pid into the lock file
            assert probe_leader(engine).running  # probing twice changes nothing
        finally:
            leader.release()
        assert probe_leader(engine) == LeaderProbe(False)
        # after a probe, a bot can still become the leader at once
        again = Leadership(engine)
        await asyncio.wait_for(again.acquire(wait=False), timeout=10)
        again.release()
    finally:
        engine.dispose()
