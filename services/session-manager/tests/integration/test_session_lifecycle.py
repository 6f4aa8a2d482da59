"""A transaction's events end to end: meter values, the end, energy, session.completed, and the odd cases."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ladeplan_contracts.envelope import new_envelope
from ladeplan_contracts.events import MeterValuesReported, TransactionEnded
from ladeplan_contracts.meter import MeterValue, SampledValue, SignedMeterValue
from ladeplan_contracts.rpc import StartTransactionReply, StartTransactionRequest
from ladeplan_platform.db import create_pool
from session_manager.config import SCHEMA
from session_manager.use_cases.transactions import Transactions

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def register(at, value, unit="kWh", **extra):
    return MeterValue(timestamp=at, sampled_values=[SampledValue(value=value, unit=unit, **extra)])


def meter_values(cp, ref, *values):
    return MeterValuesReported(
        charge_point_id=cp,
        evse_id=1,
        connector_id=1,
        transaction_ref=ref,
        meter_values=list(values),
        ocpp_message_id=str(uuid.uuid4()),
    )


def ended(cp, ref, **overrides):
    fields = {
        "charge_point_id": cp,
        "transaction_ref": ref,
        "stopped_at": T0 + timedelta(hours=1),
        "meter_stop_wh": None,
        "reason": "Local",
        "ocpp_message_id": str(uuid.uuid4()),
    }
    return TransactionEnded(**{**fields, **overrides})


async def start_session(rpc, cp, token_uid=None, meter_start_wh=None, transaction_ref=None):
    request = StartTransactionRequest(
        charge_point_id=cp,
        evse_id=1,
        connector_id=1,
        token_uid=token_uid,
        meter_start_wh=meter_start_wh,
        started_at=T0,
        transaction_ref=transaction_ref,
    )
    return await rpc.call(request, StartTransactionReply, timeout=10)


def session_of(db, session_id):
    return db.fetchrow("SELECT * FROM sessions WHERE id = $1", uuid.UUID(session_id))


async def completed(db, eventually, session_id):
    return await eventually(
        lambda: db.fetchrow("SELECT * FROM sessions WHERE id = $1 AND status = 'completed'", uuid.UUID(session_id))
    )


async def processed(db, eventually, message_id):
    await eventually(lambda: db.fetchval("SELECT true FROM inbox WHERE message_id = $1", message_id))


async def test_a_session_completes_with_meter_stop_minus_start_and_is_announced(
    rpc, cp, active_token, publish, db, eventually, events
):
    uid, user_id = await active_token()
    started = await start_session(rpc, cp, uid, meter_start_wh=12_000)
    await publish(meter_values(cp, started.transaction_ref, register(T0 + timedelta(minutes=15), "12.5")))

    await publish(ended(cp, started.transaction_ref, meter_stop_wh=19_350, reason="EVDisconnected"))

    row = await completed(db, eventually, started.session_id)
    assert (row["energy_wh"], row["energy_source"], row["meter_stop_wh"]) == (7350, "meter_start_stop", 19_350)
    assert row["stop_reason"] == "EVDisconnected"
    event = await events.wait_for("session.completed", session_id=started.session_id)
    assert event["data"] == {
        "session_id": started.session_id,
        "charge_point_id": cp,
        "evse_id": 1,
        "connector_id": 1,
        "transaction_ref": started.transaction_ref,
        "token_uid": uid,
        "user_id": user_id,
        "started_at": "2026-11-25T10:00:00Z",
        "ended_at": "2026-11-25T11:00:00Z",
        "energy_wh": 7350,
        "stop_reason": "EVDisconnected",
    }
    assert event["charge_point_id"] == cp


async def test_without_meter_stop_the_energy_comes_from_the_register_readings(rpc, cp, publish, db, eventually, events):
    ref = str(uuid.uuid4())  # an OCPP 2.x transaction
    started = await start_session(rpc, cp, transaction_ref=ref)
    await publish(
        meter_values(
            cp,
            ref,
            register(T0, "40.0000", context="Transaction.Begin"),
            register(T0 + timedelta(minutes=30), "40.9876", context="Sample.Periodic"),
            # Clock-aligned and inlet readings do not count towards the transaction's energy.
            register(T0 + timedelta(minutes=31), "55", context="Sample.Clock"),
            register(T0 + timedelta(minutes=32), "60", location="Inlet"),
        )
    )

    await publish(ended(cp, ref, meter_values=[register(T0 + timedelta(hours=1), "41.5", context="Transaction.End")]))

    row = await completed(db, eventually, started.session_id)
    assert (row["energy_wh"], row["energy_source"]) == (1500, "register_readings")
    assert (await events.wait_for("session.completed", session_id=started.session_id))["data"]["energy_wh"] == 1500


async def test_meter_values_are_kept_exactly_as_received(rpc, cp, publish, db, eventually, client, auth):
    started = await start_session(rpc, cp, meter_start_wh=0)
    signed = SignedMeterValue(signed_meter_data="OCMF|{...}|{...}", signing_method="ECDSA-secp256r1-SHA256")
    message_id = await publish(
        meter_values(
            cp,
            started.transaction_ref,
            MeterValue(
                timestamp=T0 + timedelta(minutes=5),
                sampled_values=[
                    SampledValue(value="0001.2300", unit="kWh", context="Sample.Periodic", signed=signed),
                    SampledValue(value="16.0", measurand="Current.Import", unit="A", phase="L1"),
                ],
            ),
        )
    )
    await processed(db, eventually, message_id)

    response = await client.get(f"/api/v1/sessions/{started.session_id}", headers=auth)

    assert response.status == 200
    values = (await response.json())["meter_values"]
    assert [(v["value"], v["measurand"], v["unit"], v["phase"]) for v in values] == [
        ("0001.2300", "Energy.Active.Import.Register", "kWh", None),
        ("16.0", "Current.Import", "A", "L1"),
    ]
    assert values[0]["signed"] == signed.model_dump()
    assert values[0]["context"] == "Sample.Periodic"
    assert not values[0]["unknown_transaction"]
    assert await db.fetchval("SELECT count(*) FROM meter_values WHERE message_id = $1", message_id) == 2


async def test_meter_values_of_an_unknown_transaction_are_kept_and_flagged(cp, publish, db, eventually):
    with_ref = await publish(meter_values(cp, "no-such-transaction", register(T0, "1.0")))
    without_ref = await publish(meter_values(cp, None, register(T0, "2.0", context="Sample.Clock")))
    await processed(db, eventually, with_ref)
    await processed(db, eventually, without_ref)

    rows = await db.fetch(
        "SELECT value, transaction_ref, session_id, unknown_transaction FROM meter_values "
        "WHERE charge_point_id = $1 ORDER BY value",
        cp,
    )
    assert [dict(r) for r in rows] == [
        {"value": "1.0", "transaction_ref": "no-such-transaction", "session_id": None, "unknown_transaction": True},
        {"value": "2.0", "transaction_ref": None, "session_id": None, "unknown_transaction": True},
    ]


async def test_a_redelivered_meter_values_message_is_stored_once(rpc, cp, publish, db, eventually):
    started = await start_session(rpc, cp, meter_start_wh=0)
    report, message_id = meter_values(cp, started.transaction_ref, register(T0, "3.0")), str(uuid.uuid4())

    await publish(report, message_id=message_id)
    await publish(report, message_id=message_id)
    marker = await publish(meter_values(cp, started.transaction_ref, register(T0, "4.0")))
    await processed(db, eventually, marker)

    assert await db.fetchval("SELECT count(*) FROM meter_values WHERE message_id = $1", message_id) == 1


async def test_a_redelivered_or_repeated_end_changes_nothing(rpc, cp, publish, db, eventually, events):
    started = await start_session(rpc, cp, meter_start_wh=100)
    end, message_id = ended(cp, started.transaction_ref, meter_stop_wh=600), str(uuid.uuid4())
    await publish(end, message_id=message_id)
    first = await completed(db, eventually, started.session_id)

    await publish(end, message_id=message_id)  # broker redelivery: same message id
    # The gateway announcing the same stop again (new message id), with different content.
    repeat = await publish(ended(cp, started.transaction_ref, meter_stop_wh=900, meter_values=[register(T0, "9")]))
    await processed(db, eventually, repeat)

    assert await session_of(db, started.session_id) == first
    assert await db.fetchval("SELECT count(*) FROM meter_values WHERE session_id = $1", first["id"]) == 0
    await events.wait_for("session.completed", session_id=started.session_id)
    await asyncio.sleep(0.5)
    assert len(events.matching("session.completed", session_id=started.session_id)) == 1


async def test_the_end_of_an_unknown_transaction_is_kept_as_a_session_of_unknown_start(
    cp, publish, db, eventually, events
):
    ref = "4711"
    early = await publish(meter_values(cp, ref, register(T0 + timedelta(minutes=10), "20.0")))
    await processed(db, eventually, early)

    end = await publish(ended(cp, ref, meter_stop_wh=20_800, token_uid="SOMEONE", meter_values=[register(T0, "20.25")]))
    await processed(db, eventually, end)

    row = await db.fetchrow("SELECT * FROM sessions WHERE charge_point_id = $1", cp)
    assert row["unknown_start"]
    assert (row["status"], row["authorization_status"], row["started_at"]) == ("completed", "Unknown", None)
    assert (row["transaction_ref"], row["stop_token_uid"], row["meter_stop_wh"]) == (ref, "SOMEONE", 20_800)
    # 20.0 kWh (arrived before the end, adopted), 20.25 kWh (with the end) and the 20 800 Wh meter stop.
    assert (row["energy_wh"], row["energy_source"]) == (800, "register_readings")
    values = await db.fetch("SELECT session_id, unknown_transaction FROM meter_values WHERE charge_point_id = $1", cp)
    assert {(v["session_id"], v["unknown_transaction"]) for v in values} == {(row["id"], True)}
    # Its start time, connector and authorisation are unknown: nothing to announce for billing.
    await asyncio.sleep(0.5)
    assert not events.matching("session.completed", session_id=str(row["id"]))


async def test_late_meter_values_still_join_their_completed_session(rpc, cp, publish, db, eventually):
    started = await start_session(rpc, cp, meter_start_wh=0)
    await publish(ended(cp, started.transaction_ref, meter_stop_wh=10))
    await completed(db, eventually, started.session_id)

    late = await publish(meter_values(cp, started.transaction_ref, register(T0, "0.01")))
    await processed(db, eventually, late)

    row = await db.fetchrow("SELECT session_id, unknown_transaction FROM meter_values WHERE message_id = $1", late)
    assert (str(row["session_id"]), row["unknown_transaction"]) == (started.session_id, False)


async def test_a_reference_reused_after_its_session_ended_starts_a_new_session(rpc, cp, publish, db, eventually):
    """Charge points that count their 2.x transaction ids start again at 1 after a reset."""
    first = await start_session(rpc, cp, transaction_ref="1", meter_start_wh=0)
    await publish(ended(cp, "1", meter_stop_wh=100))
    await completed(db, eventually, first.session_id)

    second = await rpc.call(
        StartTransactionRequest(
            charge_point_id=cp,
            evse_id=1,
            connector_id=1,
            token_uid=None,
            meter_start_wh=100,
            started_at=T0 + timedelta(days=1),
            transaction_ref="1",
        ),
        StartTransactionReply,
        timeout=10,
    )
    await publish(ended(cp, "1", meter_stop_wh=350, stopped_at=T0 + timedelta(days=1, hours=1)))

    assert second.session_id != first.session_id
    assert (await completed(db, eventually, second.session_id))["energy_wh"] == 250
    assert (await session_of(db, first.session_id))["energy_wh"] == 100


async def test_copies_of_an_unknown_end_racing_each_other_keep_one_session(settings, cp, db):
    """Two message ids for one StopTransaction (the gateway re-published it), handled at the same moment."""
    pool = await create_pool(settings, SCHEMA)
    try:
        transactions = Transactions(pool, on_commit=lambda: None)
        end = ended(cp, "unknown-17", meter_stop_wh=5)
        await asyncio.gather(*(transactions.end(new_envelope(end)) for _ in range(6)))
    finally:
        await pool.close()

    assert await db.fetchval("SELECT count(*) FROM sessions WHERE charge_point_id = $1", cp) == 1
