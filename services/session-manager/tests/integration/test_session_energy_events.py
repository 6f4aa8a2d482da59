"""session.energy.measured: staged with the meter values, once per session per burst and interval."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from ladeplan_contracts.envelope import new_envelope
from ladeplan_contracts.events import MeterValuesReported, TransactionEnded
from ladeplan_contracts.meter import MeterValue, SampledValue
from ladeplan_contracts.rpc import StartTransactionReply, StartTransactionRequest
from ladeplan_platform.db import create_pool
from session_manager.config import SCHEMA
from session_manager.use_cases.transactions import Transactions

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def values(cp, ref, minutes, kwh):
    return MeterValuesReported(
        charge_point_id=cp,
        evse_id=1,
        connector_id=1,
        transaction_ref=ref,
        meter_values=[
            MeterValue(timestamp=T0 + timedelta(minutes=minutes), sampled_values=[SampledValue(value=kwh, unit="kWh")])
        ],
        ocpp_message_id=str(uuid.uuid4()),
    )


async def start(rpc, cp):
    request = StartTransactionRequest(
        charge_point_id=cp, evse_id=1, connector_id=1, token_uid=None, meter_start_wh=1000, started_at=T0
    )
    return await rpc.call(request, StartTransactionReply, timeout=10)


async def announced(db, cp):
    rows = await db.fetch(
        "SELECT body FROM outbox WHERE routing_key = 'session.energy.measured' "
        "AND body::jsonb -> 'data' ->> 'charge_point_id' = $1 ORDER BY position",
        cp,
    )
    return [orjson.loads(row["body"])["data"] for row in rows]


@pytest.fixture(autouse=True)
def app(client):
    """The service runs (RPC servers, consumers) in every test of this module."""
    return client


@pytest.fixture
async def pool(settings):
    pool = await create_pool(settings, SCHEMA)
    yield pool
    await pool.close()


async def test_a_burst_announces_a_session_once_with_its_newest_reading_then_waits_the_interval(rpc, cp, db, pool):
    transactions = Transactions(pool, on_commit=lambda: None, energy_event_interval_s=3600)
    started = await start(rpc, cp)
    ref = started.transaction_ref
    burst = [
        new_envelope(values(cp, ref, 10, "3.0")),
        new_envelope(values(cp, "unknown-9", 12, "50.0")),  # an unknown transaction is never announced
        new_envelope(values(cp, ref, 20, "4.5")),
    ]

    await transactions.apply_in_order(burst)
    await transactions.apply_in_order([new_envelope(values(cp, ref, 30, "5.0"))])  # within the interval

    [event] = await announced(db, cp)
    assert event["session_id"] == started.session_id
    assert event["transaction_ref"] == ref
    assert event["energy_kwh"] == pytest.approx(3.5)
    assert datetime.fromisoformat(event["measured_at"]) == T0 + timedelta(minutes=20)


async def test_once_the_interval_passed_the_session_is_announced_again_but_not_after_its_end(rpc, cp, db, pool):
    transactions = Transactions(pool, on_commit=lambda: None, energy_event_interval_s=0.001)
    started = await start(rpc, cp)
    ref = started.transaction_ref

    await transactions.record_meter_values(new_envelope(values(cp, ref, 10, "2.0")))
    await transactions.record_meter_values(new_envelope(values(cp, ref, 20, "3.0")))
    ended = TransactionEnded(
        charge_point_id=cp, transaction_ref=ref, stopped_at=T0 + timedelta(hours=1), ocpp_message_id="m-end"
    )
    await transactions.apply_in_order([new_envelope(values(cp, ref, 30, "4.0")), new_envelope(ended)])

    assert [event["energy_kwh"] for event in await announced(db, cp)] == [pytest.approx(1.0), pytest.approx(2.0)]
