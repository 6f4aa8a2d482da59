"""A charge point back online replays what it queued while offline, and retries what got no answer.

While offline a charge point keeps charging and queues its transaction messages; once reconnected
it sends them in order with their original timestamps (2.x marks them ``offline``). A CALL whose
answer was lost (the socket dropped after the gateway had published it) is sent again, after
reconnecting: the same frame with the same message id, or, by some charge points, renumbered.
The outcome must be one completed session with the original times, each reading stored once,
the energy and the receipt unchanged by any retry.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ladeplan.simulator.charge_points import Sim16, Sim201
from ladeplan.simulator.connection import ClientConnection, open_socket
from ladeplan.simulator.signing import SigningMeter
from tests.e2e.support import Operator, Stack
from tests.e2e.test_charging_session_e2e import completed_session, wait_authorized
from tests.e2e.test_receipts_e2e import receipt_of, receipts_api
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e

CALL, CALLRESULT = 2, 3
PROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


class RecordingConnection(ClientConnection):
    """The charge point's side of the socket, keeping every frame it sends so one can be sent again as it was."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        super().__init__(socket)
        self.sent: list[str] = []

    async def send(self, message: str) -> None:
        self.sent.append(message)
        await super().send(message)

    def calls(self, action: str) -> list[str]:
        return [frame for frame in self.sent if json.loads(frame)[0] == CALL and json.loads(frame)[2] == action]


@asynccontextmanager
async def online(
    stack: Stack, cp_id: str, password: str, version: str
) -> AsyncIterator[tuple[Any, RecordingConnection]]:
    """One connection of the charge point: the simulator on it and what it sent."""
    async with open_socket(stack.gateway_url, cp_id, password, PROTOCOLS[version]) as socket:
        wire = RecordingConnection(socket)
        sim = (Sim16 if version == "1.6" else Sim201)(cp_id, wire, response_timeout=10)
        reader = asyncio.create_task(sim.start())
        try:
            yield sim, wire
        finally:
            reader.cancel()


async def resend(stack: Stack, cp_id: str, password: str, version: str, frame: str) -> list[Any]:
    """Reconnect and send ``frame`` byte for byte, as a charge point retrying a CALL whose answer it lost."""
    message_id = json.loads(frame)[1]
    async with open_socket(stack.gateway_url, cp_id, password, PROTOCOLS[version]) as socket:
        await socket.send_str(frame)
        while True:
            answer: list[Any] = json.loads(await socket.receive_str(timeout=10))
            if answer[0] != CALL and answer[1] == message_id:
                return answer
            # Anything else is a CALL of the backend's (a charging profile, say): not awaited here.


def logged(stack: Stack, service: str, cp_id: str, *events: str) -> list[dict[str, Any]]:
    """The service's log lines of ``events`` for the charge point (structlog JSON, one object a line)."""
    entries = []
    for line in stack.logs(service).splitlines():
        if line.startswith("{") and cp_id in line and any(event in line for event in events):
            entry = json.loads(line)
            if entry.get("event") in events and entry.get("charge_point_id") == cp_id:
                entries.append(entry)
    return entries


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def session_detail(operator: Operator, session_id: str) -> dict[str, Any]:
    async with operator.http.get(f"{operator.stack.sessions_url}/sessions/{session_id}") as response:
        assert response.status == 200, await response.text()
        detail: dict[str, Any] = await response.json()
        return detail


def readings(detail: dict[str, Any]) -> list[tuple[datetime, str, str]]:
    return [(datetime.fromisoformat(v["sampled_at"]), v["value"], v["ocpp_message_id"]) for v in detail["meter_values"]]


async def all_handled(stack: Stack, cp_id: str, *, meter_values: int, ends: int, signed: int = 0) -> None:
    """Wait until session-manager (and receipts) handled this many messages: only then is "unchanged" a result.

    ``meter_values``: MeterValues of the known session; ``ends``: ends of the completed session;
    ``signed``: messages with signed values, whether their values were stored or found stored.
    """

    async def check() -> bool:
        return (
            len(logged(stack, "session-manager", cp_id, "meter_values.stored")) >= meter_values
            and len(logged(stack, "session-manager", cp_id, "transaction.end_of_completed_session_ignored")) >= ends
            and len(logged(stack, "receipts", cp_id, "signed_values.captured", "signed_values.duplicates_ignored"))
            >= signed
        )

    await eventually(check, timeout=20)


def duplicates_logged(stack: Stack, cp_id: str) -> list[tuple[str, int, int]]:
    entries = logged(stack, "session-manager", cp_id, "meter_values.duplicates_ignored")
    return [(entry["seen_under"], entry["duplicates"], entry["stored"]) for entry in entries]


async def test_v16_offline_queue_is_replayed_in_order_and_retried_calls_count_once(
    stack: Stack, operator: Operator
) -> None:
    cp_id, password = await operator.charge_point()
    token = await operator.token()
    meter = SigningMeter(ec.generate_private_key(ec.SECP256R1()), serial=f"E2E-MTR-{uuid.uuid4().hex[:6]}")
    url = f"{receipts_api(stack)}/charge-points/{cp_id}/meter-keys/0"
    async with operator.http.put(url, json={"public_key": meter.public_key_hex}) as response:
        assert response.status == 200, await response.text()
    async with online(stack, cp_id, password, "1.6") as (sim, _):
        await sim.boot()
        await wait_authorized(sim, token)

    # Offline for the last hour: charging started, was metered and stopped, all queued.
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    at = [t0 + timedelta(minutes=m) for m in (0, 20, 40, 50)]
    begin, end = meter.begin(10_000, token=token, at=at[0]), meter.end(17_250, token=token, at=at[3])
    async with online(stack, cp_id, password, "1.6") as (sim, wire):
        tx = (await sim.start_transaction(1, token, 10_000, timestamp=iso(at[0]))).transaction_id
        await sim.signed_meter_values(1, tx, begin, context="Transaction.Begin", timestamp=iso(at[0]))
        await sim.meter_values(1, tx, 12_500, 11_000.0, timestamp=iso(at[1]))
        await sim.meter_values(1, tx, 15_000, 10_500.0, timestamp=iso(at[2]))
        await sim.stop_transaction(tx, 17_250, token, signed_data=end, timestamp=iso(at[3]))
    signed_call, periodic_call, _ = wire.calls("MeterValues")
    [stop_call] = wire.calls("StopTransaction")

    session = await completed_session(operator, cp_id)
    stored = await session_detail(operator, session["id"])
    receipt = await receipt_of(operator, session["id"])

    # The answers got lost: the same frames again after reconnecting, then renumbered.
    for frame in (signed_call, periodic_call, stop_call):
        assert (await resend(stack, cp_id, password, "1.6", frame))[0] == CALLRESULT
    async with online(stack, cp_id, password, "1.6") as (sim, _):
        await sim.meter_values(1, tx, 12_500, 11_000.0, timestamp=iso(at[1]))
        await sim.stop_transaction(tx, 17_250, token, signed_data=end, timestamp=iso(at[3]))
    # 3 MeterValues queued and 3 retried; 2 stops retried; 2 signed values queued and 3 retried.
    await all_handled(stack, cp_id, meter_values=6, ends=2, signed=5)

    [only] = await operator.sessions(cp_id)
    assert (only["id"], only["status"], only["energy_wh"]) == (session["id"], "completed", 7_250)
    assert (datetime.fromisoformat(only["started_at"]), datetime.fromisoformat(only["ended_at"])) == (at[0], at[3])
    after = await session_detail(operator, session["id"])
    assert readings(after) == readings(stored)
    assert [(when, value) for when, value, _ in readings(after)] == [
        (at[0], begin),
        (at[1], "12500"),
        (at[1], "11000.0"),
        (at[2], "15000"),
        (at[2], "10500.0"),
        (at[3], end),
    ]
    # The copy kept is the first one received, under the queued frame's message id.
    assert {mid for when, _, mid in readings(after) if when == at[1]} == {json.loads(periodic_call)[1]}
    assert duplicates_logged(stack, cp_id) == [
        ("same_ocpp_message_id", 1, 0),
        ("same_ocpp_message_id", 2, 0),
        ("other_ocpp_message_id", 2, 0),
    ]
    current = await receipt_of(operator, session["id"])
    assert (current["status"], current["versions"]) == ("verified", [1])
    assert (
        [r["signed_meter_data"] for r in current["records"]]
        == [begin, end]
        == [r["signed_meter_data"] for r in receipt["records"]]
    )


async def test_v201_offline_transaction_events_are_replayed_in_order_and_retried_events_count_once(
    stack: Stack, operator: Operator
) -> None:
    cp_id, password = await operator.charge_point()
    token = await operator.token()
    async with online(stack, cp_id, password, "2.0.1") as (sim, _):
        await sim.boot()
        await wait_authorized(sim, token)

    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    at = [t0 + timedelta(minutes=m) for m in (0, 20, 40, 50)]
    tx = f"tx-{uuid.uuid4().hex[:8]}"
    updated = {"trigger_reason": "MeterValuePeriodic", "timestamp": iso(at[1]), "energy_wh": 3_000, "offline": True}
    ended = {
        "trigger_reason": "EVDeparted",
        "timestamp": iso(at[3]),
        "energy_wh": 6_400,
        "context": "Transaction.End",
        "stopped_reason": "EVDisconnected",
        "offline": True,
    }
    async with online(stack, cp_id, password, "2.0.1") as (sim, wire):
        await sim.transaction_event(
            "Started",
            tx,
            trigger_reason="Authorized",
            timestamp=iso(at[0]),
            energy_wh=2_000,
            context="Transaction.Begin",
            id_token=token,
            offline=True,
        )
        await sim.transaction_event("Updated", tx, **updated)
        await sim.transaction_event(
            "Updated", tx, trigger_reason="MeterValuePeriodic", timestamp=iso(at[2]), energy_wh=4_500, offline=True
        )
        await sim.transaction_event("Ended", tx, **ended)
    _, first_update, _, end_event = wire.calls("TransactionEvent")
    assert [json.loads(frame)[3]["seqNo"] for frame in wire.calls("TransactionEvent")] == [0, 1, 2, 3]

    session = await completed_session(operator, cp_id)
    stored = await session_detail(operator, session["id"])

    for frame in (first_update, end_event):
        assert (await resend(stack, cp_id, password, "2.0.1", frame))[0] == CALLRESULT
    async with online(stack, cp_id, password, "2.0.1") as (sim, _):
        await sim.transaction_event("Updated", tx, seq_no=1, **updated)
        await sim.transaction_event("Ended", tx, seq_no=3, **ended)
    # Started's and 2 Updated's values queued, 2 Updated retried; 2 Ended retried.
    await all_handled(stack, cp_id, meter_values=5, ends=2)

    [only] = await operator.sessions(cp_id)
    assert (only["id"], only["status"], only["energy_wh"], only["transaction_ref"]) == (
        session["id"],
        "completed",
        4_400,
        tx,
    )
    assert (datetime.fromisoformat(only["started_at"]), datetime.fromisoformat(only["ended_at"])) == (at[0], at[3])
    after = await session_detail(operator, session["id"])
    assert readings(after) == readings(stored)
    assert [(when, value) for when, value, _ in readings(after)] == [
        (at[0], "2000"),
        (at[1], "3000"),
        (at[2], "4500"),
        (at[3], "6400"),
    ]
    assert [mid for when, _, mid in readings(after) if when == at[1]] == [json.loads(first_update)[1]]
    assert duplicates_logged(stack, cp_id) == [("same_ocpp_message_id", 1, 0), ("other_ocpp_message_id", 1, 0)]
