"""A killed session-manager loses nothing.

MeterValues and StopTransaction are answered once the broker holds them and the session completes
when session-manager is back; a StartTransaction that cannot be decided is not answered, so the
charge point retries it, and the retry succeeds once session-manager returns.
"""

from __future__ import annotations

import pytest

from ladeplan.simulator.charge_points import now_iso
from tests.e2e.support import Operator, Stack
from tests.e2e.test_charging_session_e2e import completed_session, connected, wait_authorized

pytestmark = pytest.mark.e2e


async def test_killed_session_manager_loses_nothing(stack: Stack, operator: Operator) -> None:
    cp_id, password = await operator.charge_point()
    token = await operator.token()
    async with connected(stack, cp_id, password, "1.6") as sim:
        await sim.boot()
        await wait_authorized(sim, token)
        started = await sim.start_transaction(1, token, 1_000)
        second_start = now_iso()

        stack.kill("session-manager")
        try:
            # Answered although session-manager is dead: the broker holds the events durably.
            await sim.meter_values(1, started.transaction_id, 1_800, 7_400.0)
            await sim.stop_transaction(started.transaction_id, 2_600, token)

            # A start nobody can decide stays unanswered: the charge point's CALL times out.
            sim._response_timeout = 5
            with pytest.raises(TimeoutError):
                await sim.start_transaction(2, token, 5_000, timestamp=second_start)
        finally:
            stack.start("session-manager")
            await stack.wait_healthy("session-manager")

        # The charge point retries the same StartTransaction; now it is decided.
        sim._response_timeout = 15
        retried = await sim.start_transaction(2, token, 5_000, timestamp=second_start)
        assert retried.id_tag_info["status"] == "Accepted"

    session = await completed_session(operator, cp_id)
    assert session["energy_wh"] == 1_600
    assert session["connector_id"] == 1
    everything = await operator.sessions(cp_id)
    assert sorted((s["connector_id"], s["status"]) for s in everything) == [(1, "completed"), (2, "active")]
