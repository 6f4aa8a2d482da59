"""Transaction messages stored a burst at a time: the same outcome as one at a time, in the same order.

Under load the consumer stores what has arrived in one database transaction. These tests build
such bursts on purpose (directly through the use case, and over the bus by holding a
transaction lock while a backlog piles up) and check that a burst ends what one message at a
time would: the values before an end count for its energy, values after it join the completed
session, duplicates count once, and a message the database refuses is dead-lettered alone.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import aio_pika
import pytest
from structlog.testing import capture_logs

from ladeplan_contracts.envelope import new_envelope
from ladeplan_contracts.events import MeterValuesReported, TransactionEnded
from ladeplan_contracts.meter import MeterValue, SampledValue
from ladeplan_contracts.names import DEAD_LETTER_QUEUE
from ladeplan_contracts.rpc import StartTransactionReply, StartTransactionRequest
from ladeplan_platform.db import create_pool
from session_manager.config import SCHEMA
from session_manager.repository import lock_transaction_ref
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


def ended(cp, ref):
    return TransactionEnded(
        charge_point_id=cp, transaction_ref=ref, stopped_at=T0 + timedelta(hours=1), ocpp_message_id=str(uuid.uuid4())
    )


async def start(rpc, cp):
    request = StartTransactionRequest(
        charge_point_id=cp, evse_id=1, connector_id=1, token_uid=None, meter_start_wh=None, started_at=T0
    )
    return await rpc.call(request, StartTransactionReply, timeout=10)


async def rows(db, cp):
    found = await db.fetch(
        "SELECT transaction_ref, value, session_id, unknown_transaction FROM meter_values "
        "WHERE charge_point_id = $1 ORDER BY id",
        cp,
    )
    return [dict(row) for row in found]


@pytest.fixture(autouse=True)
def app(client):
    """The service runs (RPC servers, consumers) in every test of this module."""
    return client


@pytest.fixture
async def transactions(settings):
    pool = await create_pool(settings, SCHEMA)
    yield Transactions(pool, on_commit=lambda: None)
    await pool.close()


async def test_a_burst_with_an_end_in_it_ends_as_one_message_at_a_time_would(rpc, cp, db, transactions):
    started = await start(rpc, cp)
    ref = started.transaction_ref
    burst = [
        new_envelope(values(cp, ref, 10, "3.0")),
        new_envelope(values(cp, "unknown-9", 12, "1.0")),
        new_envelope(values(cp, ref, 20, "4.5")),
        new_envelope(ended(cp, ref)),
        new_envelope(values(cp, ref, 70, "9.0")),  # after the end: joins the completed session, energy stays
    ]

    await transactions.apply_in_order(burst)

    session = await db.fetchrow("SELECT * FROM sessions WHERE id = $1", uuid.UUID(started.session_id))
    assert (session["status"], session["energy_wh"]) == ("completed", 1500)
    assert [(r["transaction_ref"], r["value"], r["session_id"] is not None) for r in await rows(db, cp)] == [
        (ref, "3.0", True),
        ("unknown-9", "1.0", False),
        (ref, "4.5", True),
        (ref, "9.0", True),
    ]


async def test_a_message_twice_in_a_burst_or_a_burst_delivered_again_counts_once(rpc, cp, db, transactions):
    started = await start(rpc, cp)
    first = new_envelope(values(cp, started.transaction_ref, 10, "2.0"))
    retried_call = new_envelope(first.data)  # the charge point's retry: new envelope, same reading
    burst = [first, first, retried_call, new_envelope(values(cp, started.transaction_ref, 20, "2.5"))]

    await transactions.apply_in_order(burst)
    await transactions.apply_in_order(burst)  # redelivered after a lost acknowledgement

    assert [r["value"] for r in await rows(db, cp)] == ["2.0", "2.5"]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM inbox WHERE message_id = ANY($1::text[])", [e.message_id for e in burst]
        )
        == 3
    )


async def dead_lettered(amqp_url, message_id):
    connection = await aio_pika.connect(amqp_url)
    try:
        queue = await (await connection.channel()).get_queue(DEAD_LETTER_QUEUE)
        while (message := await queue.get(fail=False, no_ack=False)) is not None:
            if message.message_id == message_id:
                await message.ack()
                return True
            await message.nack(requeue=True)  # another test's: leave it
            return False
        return False
    finally:
        await connection.close()


async def test_a_backlog_is_stored_in_order_and_a_refused_message_is_dead_lettered_alone(
    rpc, cp, publish, db, eventually, amqp_url
):
    """The first message waits for a lock the test holds, so the rest arrive as one burst behind it."""
    started = await start(rpc, cp)
    ref = started.transaction_ref
    poison = values(cp, ref, 15, "7\x00")  # PostgreSQL text cannot hold NUL: the database refuses it
    with capture_logs() as logs:
        async with db.acquire() as conn, conn.transaction():
            await lock_transaction_ref(conn, cp, ref)
            await publish(values(cp, ref, 5, "1.0"))
            await publish(values(cp, ref, 10, "1.5"))
            poison_id = await publish(poison)
            await publish(values(cp, "other", 12, "8.0"))
            await publish(values(cp, ref, 20, "2.5"))
            await publish(ended(cp, ref))
            await asyncio.sleep(0.3)  # delivered into the consumer's window meanwhile: one burst once released

        session = await eventually(
            lambda: db.fetchrow(
                "SELECT * FROM sessions WHERE id = $1 AND status = 'completed'", uuid.UUID(started.session_id)
            )
        )
        assert await eventually(lambda: dead_lettered(amqp_url, poison_id))

    assert session["energy_wh"] == 1500
    assert [(r["transaction_ref"], r["value"]) for r in await rows(db, cp)] == [
        (ref, "1.0"),
        (ref, "1.5"),
        ("other", "8.0"),
        (ref, "2.5"),
    ]
    # The burst holding the refused message was tried whole first, then one message at a time.
    assert any(e["event"] == "bus.batch_failed" for e in logs)
