"""StartTransaction RPC: authorisation, ids for 1.6 and 2.x, idempotency, the started event."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from ladeplan_contracts.rpc import StartTransactionReply, StartTransactionRequest
from ladeplan_platform.db import create_pool
from session_manager.config import SCHEMA
from session_manager.use_cases.transactions import Transactions

pytestmark = pytest.mark.integration


def start_request(cp, **overrides):
    fields = {
        "charge_point_id": cp,
        "evse_id": 1,
        "connector_id": 1,
        "token_uid": None,
        "meter_start_wh": 1000,
        "started_at": datetime(2026, 11, 25, 8, 30, 0, 123000, tzinfo=UTC),
    }
    return StartTransactionRequest(**{**fields, **overrides})


async def start(rpc, request):
    return await rpc.call(request, StartTransactionReply, timeout=10)


async def test_ocpp16_start_gets_an_integer_id_and_its_text_as_reference(rpc, cp, active_token, db):
    uid, user_id = await active_token()

    reply = await start(rpc, start_request(cp, token_uid=uid))

    assert reply.status == "Accepted"
    assert reply.transaction_ref == str(reply.transaction_id)
    row = await db.fetchrow("SELECT * FROM sessions WHERE id = $1", uuid.UUID(reply.session_id))
    assert row["status"] == "active"
    assert row["user_id"] == user_id
    assert row["transaction_id"] == reply.transaction_id
    assert row["meter_start_wh"] == 1000


async def test_ocpp16_retried_start_returns_the_same_session(rpc, cp, active_token, db):
    uid, _ = await active_token()
    request = start_request(cp, token_uid=uid)

    first = await start(rpc, request)
    again = await start(rpc, request)

    assert again == first
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE charge_point_id = $1", cp) == 1


async def test_concurrent_retries_of_a_start_create_one_session(rpc, cp, db):
    request = start_request(cp)

    replies = await asyncio.gather(*(start(rpc, request) for _ in range(8)))

    assert len({r.transaction_id for r in replies}) == 1
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE charge_point_id = $1", cp) == 1


async def test_ocpp16_a_different_start_on_the_same_connector_is_a_new_session(rpc, cp):
    first = await start(rpc, start_request(cp))

    later = await start(rpc, start_request(cp, started_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC)))

    assert later.transaction_id != first.transaction_id


async def test_ocpp2_keeps_the_charge_points_reference_and_still_assigns_an_integer(rpc, cp):
    ref = str(uuid.uuid4())

    reply = await start(rpc, start_request(cp, transaction_ref=ref))
    again = await start(rpc, start_request(cp, transaction_ref=ref, meter_start_wh=1001))

    assert reply.transaction_ref == ref
    assert isinstance(reply.transaction_id, int)
    assert again == reply


async def test_a_start_without_token_is_accepted_as_free_vend(rpc, cp):
    reply = await start(rpc, start_request(cp, token_uid=None))

    assert reply.status == "Accepted"


@pytest.mark.parametrize(("token_status", "expected"), [("blocked", "Blocked"), ("expired", "Expired")])
async def test_a_refused_start_is_stored_with_its_status(rpc, cp, active_token, db, token_status, expected):
    uid, _ = await active_token(token_status)

    reply = await start(rpc, start_request(cp, token_uid=uid))

    assert reply.status == expected
    row = await db.fetchrow(
        "SELECT status, authorization_status FROM sessions WHERE id = $1", uuid.UUID(reply.session_id)
    )
    assert dict(row) == {"status": "active", "authorization_status": expected}


async def test_a_start_with_an_unknown_token_is_invalid_and_stored(rpc, cp, db):
    reply = await start(rpc, start_request(cp, token_uid="NOBODY-KNOWS-ME"))

    assert reply.status == "Invalid"
    assert (
        await db.fetchval("SELECT authorization_status FROM sessions WHERE id = $1", uuid.UUID(reply.session_id))
        == "Invalid"
    )


async def test_a_start_is_announced_once_as_transaction_started(rpc, cp, active_token, events):
    uid, _ = await active_token()
    request = start_request(cp, token_uid=uid)

    reply = await start(rpc, request)
    await start(rpc, request)

    event = await events.wait_for("transaction.started", session_id=reply.session_id)
    assert event["data"] == {
        "session_id": reply.session_id,
        "charge_point_id": cp,
        "evse_id": 1,
        "connector_id": 1,
        "transaction_ref": reply.transaction_ref,
        "token_uid": uid,
        "authorization_status": "Accepted",
        "started_at": "2026-11-25T08:30:00.123000Z",
        "meter_start_wh": 1000,
    }
    await asyncio.sleep(0.5)  # a second event would have arrived by now
    assert len(events.matching("transaction.started", session_id=reply.session_id)) == 1


async def test_racing_starts_in_the_database_create_one_session(settings, cp, db):
    """The unique start key, not a look-up before the insert, keeps racing retries to one session."""
    pool = await create_pool(settings, SCHEMA)
    try:
        transactions = Transactions(pool, on_commit=lambda: None)
        request = start_request(cp, transaction_ref=None)
        replies = await asyncio.gather(*(transactions.start(request) for _ in range(8)))
    finally:
        await pool.close()

    assert len({(r.session_id, r.transaction_id) for r in replies}) == 1
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE charge_point_id = $1", cp) == 1
