"""A charge point's retried CALL is stored once, whether it keeps its OCPP message id or renumbers it.

The gateway publishes every CALL it is sent in a new envelope, so the inbox (keyed by envelope)
does not see a retry; the reading's natural key does. Each test publishes the events the gateway
would publish for a charge point retrying, and checks rows, energy and the duplicates log line.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from ladeplan_contracts.envelope import new_envelope
from ladeplan_contracts.events import MeterValuesReported, TransactionEnded
from ladeplan_contracts.meter import MeterValue, SampledValue
from ladeplan_contracts.rpc import StartTransactionReply, StartTransactionRequest
from ladeplan_platform.db import create_pool
from session_manager.config import SCHEMA
from session_manager.repository import lock_transaction_ref
from session_manager.use_cases.transactions import Transactions

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def reading(minutes, value, unit="kWh", **extra):
    return MeterValue(
        timestamp=T0 + timedelta(minutes=minutes), sampled_values=[SampledValue(value=value, unit=unit, **extra)]
    )


def report(cp, ref, *values, ocpp_message_id=None, connector_id=1):
    return MeterValuesReported(
        charge_point_id=cp,
        evse_id=connector_id,
        connector_id=connector_id,
        transaction_ref=ref,
        meter_values=list(values),
        ocpp_message_id=ocpp_message_id or str(uuid.uuid4()),
    )


def ended(cp, ref, *values, meter_stop_wh=None):
    return TransactionEnded(
        charge_point_id=cp,
        transaction_ref=ref,
        stopped_at=T0 + timedelta(hours=1),
        meter_stop_wh=meter_stop_wh,
        meter_values=list(values),
        ocpp_message_id=str(uuid.uuid4()),
    )


async def start(rpc, cp, transaction_ref=None):
    request = StartTransactionRequest(
        charge_point_id=cp,
        evse_id=1,
        connector_id=1,
        token_uid=None,
        meter_start_wh=None,  # the energy then comes from the readings, which duplicates must not disturb
        started_at=T0,
        transaction_ref=transaction_ref,
    )
    return await rpc.call(request, StartTransactionReply, timeout=10)


async def processed(db, eventually, message_id):
    await eventually(lambda: db.fetchval("SELECT true FROM inbox WHERE message_id = $1", message_id))


async def completed(db, eventually, session_id):
    return await eventually(
        lambda: db.fetchrow("SELECT * FROM sessions WHERE id = $1 AND status = 'completed'", uuid.UUID(session_id))
    )


async def stored(db, cp):
    rows = await db.fetch(
        "SELECT sampled_at, value, context, connector_id, transaction_ref, ocpp_message_id, unknown_transaction "
        "FROM meter_values WHERE charge_point_id = $1 ORDER BY id",
        cp,
    )
    return [dict(row) for row in rows]


def duplicates_logged(logs, cp):
    return [
        (entry["seen_under"], entry["duplicates"], entry["stored"])
        for entry in logs
        if entry["event"] == "meter_values.duplicates_ignored" and entry.get("charge_point_id") == cp
    ]


async def test_a_retried_meter_values_call_is_stored_once_whatever_its_ocpp_message_id(
    rpc, cp, publish, db, eventually
):
    started = await start(rpc, cp)
    ref = started.transaction_ref
    call = report(cp, ref, reading(10, "40.0"), reading(30, "41.5"), ocpp_message_id=f"{cp}-17")

    with capture_logs(processors=[merge_contextvars]) as logs:
        await publish(call)
        await publish(call)  # the same CALL again: a new envelope, as the gateway publishes a retry
        await publish(call.model_copy(update={"ocpp_message_id": f"{cp}-18"}))  # renumbered on retry
        await publish(ended(cp, ref))
        session = await completed(db, eventually, started.session_id)

    assert [(r["value"], r["ocpp_message_id"]) for r in await stored(db, cp)] == [
        ("40.0", f"{cp}-17"),
        ("41.5", f"{cp}-17"),
    ]
    assert (session["energy_wh"], session["energy_source"]) == (1500, "register_readings")
    assert duplicates_logged(logs, cp) == [("same_ocpp_message_id", 2, 0), ("other_ocpp_message_id", 2, 0)]


async def test_a_retry_after_the_session_completed_changes_nothing(rpc, cp, publish, db, eventually):
    started = await start(rpc, cp)
    call = report(cp, started.transaction_ref, reading(10, "7.25"), reading(20, "9.0"))
    await publish(call)
    await publish(ended(cp, started.transaction_ref))
    before = await completed(db, eventually, started.session_id)
    rows_before = await stored(db, cp)

    retry = await publish(call.model_copy(update={"ocpp_message_id": str(uuid.uuid4())}))
    await processed(db, eventually, retry)

    assert await stored(db, cp) == rows_before
    assert await db.fetchrow("SELECT * FROM sessions WHERE id = $1", before["id"]) == before
    assert before["energy_wh"] == 1750


async def test_readings_an_end_repeats_are_stored_once(rpc, cp, publish, db, eventually):
    ref = str(uuid.uuid4())  # an OCPP 2.x transaction, whose Ended event repeats its last periodic value
    started = await start(rpc, cp, transaction_ref=ref)
    await publish(report(cp, ref, reading(0, "10.0", context="Transaction.Begin")))
    await publish(report(cp, ref, reading(30, "10.8", context="Sample.Periodic")))

    await publish(
        ended(cp, ref, reading(30, "10.8", context="Sample.Periodic"), reading(60, "11.2", context="Transaction.End"))
    )

    session = await completed(db, eventually, started.session_id)
    assert [r["value"] for r in await stored(db, cp)] == ["10.0", "10.8", "11.2"]
    assert session["energy_wh"] == 1200


async def test_new_readings_under_a_reused_ocpp_message_id_are_kept(rpc, cp, publish, db, eventually):
    """Message ids are unique per connection only: a charge point counting from 1 again reuses them."""
    started = await start(rpc, cp)
    await publish(report(cp, started.transaction_ref, reading(10, "1.0"), ocpp_message_id="1"))
    later = await publish(report(cp, started.transaction_ref, reading(40, "2.5"), ocpp_message_id="1"))
    await processed(db, eventually, later)

    assert [(r["value"], r["ocpp_message_id"]) for r in await stored(db, cp)] == [("1.0", "1"), ("2.5", "1")]


async def test_retried_values_without_a_known_transaction_are_kept_once_and_flagged(cp, publish, db, eventually):
    unknown = report(cp, "no-such-transaction", reading(5, "3.0"))
    clock_aligned = report(cp, None, reading(15, "0", unit="A", measurand="Current.Import", context="Sample.Clock"))
    for call in (unknown, unknown, clock_aligned, clock_aligned):
        await publish(call.model_copy(update={"ocpp_message_id": str(uuid.uuid4())}))
    # The same reading of another connector is another reading: the key holds EVSE and connector.
    other_connector = await publish(clock_aligned.model_copy(update={"evse_id": 2, "connector_id": 2}))
    await processed(db, eventually, other_connector)

    rows = await stored(db, cp)
    assert [(r["transaction_ref"], r["value"], r["connector_id"], r["unknown_transaction"]) for r in rows] == [
        ("no-such-transaction", "3.0", 1, True),
        (None, "0", 1, True),
        (None, "0", 2, True),
    ]


async def test_a_reading_repeated_within_one_message_is_stored_once(rpc, cp, publish, db, eventually):
    started = await start(rpc, cp)
    message = await publish(report(cp, started.transaction_ref, reading(10, "5.5"), reading(10, "5.5")))
    await processed(db, eventually, message)

    assert [r["value"] for r in await stored(db, cp)] == ["5.5"]


@pytest.mark.parametrize("transaction_ref", ["unknown-23", None], ids=["with-reference", "without-reference"])
async def test_copies_of_one_call_handled_at_the_same_moment_store_it_once(settings, cp, db, transaction_ref):
    """Without a reference no advisory lock serialises them: the unique index alone decides."""
    call = report(cp, transaction_ref, reading(10, "8.0"), reading(20, "8.5"))
    pool = await create_pool(settings, SCHEMA)
    try:
        transactions = Transactions(pool, on_commit=lambda: None)
        await asyncio.gather(*(transactions.record_meter_values(new_envelope(call)) for _ in range(6)))
    finally:
        await pool.close()

    assert [r["value"] for r in await stored(db, cp)] == ["8.0", "8.5"]


async def test_transaction_messages_are_handled_one_at_a_time_in_the_order_published(cp, publish, db, eventually):
    """A charge point back online replays its queue; an end must never overtake the values sent before it.

    The first message waits for a transaction lock the test holds; the second, of another
    transaction, waits behind it rather than being handled beside it (and stored first).
    """
    async with db.acquire() as conn, conn.transaction():
        await lock_transaction_ref(conn, cp, "held")
        await publish(report(cp, "held", reading(1, "1.0")))
        last = await publish(report(cp, "free", reading(2, "2.0")))
        await asyncio.sleep(0.5)  # handled concurrently, "free" would be stored meanwhile
    await processed(db, eventually, last)

    assert [r["transaction_ref"] for r in await stored(db, cp)] == ["held", "free"]
