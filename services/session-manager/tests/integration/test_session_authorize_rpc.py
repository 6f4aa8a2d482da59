"""Authorize RPC and the token read model behind it, over the real bus."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ladeplan_contracts.events import TokenCreated, TokenUpdated
from ladeplan_contracts.rpc import AuthorizeReply, AuthorizeRequest

pytestmark = pytest.mark.integration


async def authorize(rpc, cp, uid):
    return await rpc.call(AuthorizeRequest(charge_point_id=cp, token_uid=uid), AuthorizeReply, timeout=10)


async def test_an_active_token_is_accepted_with_its_user(rpc, cp, active_token):
    uid, user_id = await active_token()

    reply = await authorize(rpc, cp, uid)

    assert reply == AuthorizeReply(status="Accepted", user_id=user_id)


async def test_token_ids_match_case_insensitively_as_ocpp_says(rpc, cp, active_token):
    uid, user_id = await active_token()

    reply = await authorize(rpc, cp, uid.lower())

    assert reply == AuthorizeReply(status="Accepted", user_id=user_id)


@pytest.mark.parametrize(("status", "expected"), [("blocked", "Blocked"), ("expired", "Expired")])
async def test_a_blocked_or_expired_token_is_refused_without_naming_its_user(rpc, cp, active_token, status, expected):
    uid, _ = await active_token(status)

    reply = await authorize(rpc, cp, uid)

    assert reply == AuthorizeReply(status=expected, user_id=None)


async def test_an_unknown_token_is_invalid(rpc, cp):
    reply = await authorize(rpc, cp, f"UNKNOWN{uuid.uuid4().hex[:8]}")

    assert reply == AuthorizeReply(status="Invalid")


async def test_a_token_update_changes_the_answer(rpc, cp, active_token, publish, db, eventually):
    uid, user_id = await active_token()

    await publish(TokenUpdated(uid=uid, type="ISO14443", user_id=user_id, status="blocked"))

    await eventually(lambda: db.fetchval("SELECT status = 'blocked' FROM tokens WHERE uid = $1", uid))
    assert (await authorize(rpc, cp, uid)).status == "Blocked"


async def test_an_update_older_than_the_stored_token_is_ignored(rpc, cp, publish, db, eventually):
    uid, now = f"TAG{uuid.uuid4().hex[:10]}", datetime.now(UTC)
    await publish(TokenCreated(uid=uid, type="ISO14443", user_id="u-1", status="active"), occurred_at=now)
    await eventually(lambda: db.fetchval("SELECT true FROM tokens WHERE uid = $1", uid))

    # An out-of-order delivery of an earlier block, followed by a marker we can wait for.
    stale = await publish(
        TokenUpdated(uid=uid, type="ISO14443", user_id="u-1", status="blocked"),
        occurred_at=now - timedelta(minutes=5),
    )
    await eventually(lambda: db.fetchval("SELECT true FROM inbox WHERE message_id = $1", stale))

    assert (await authorize(rpc, cp, uid)).status == "Accepted"


async def test_a_redelivered_token_message_is_applied_once(rpc, cp, publish, db, eventually):
    uid, message_id = f"TAG{uuid.uuid4().hex[:10]}", str(uuid.uuid4())
    created_at = datetime.now(UTC)
    await publish(
        TokenCreated(uid=uid, type="ISO14443", user_id="u-1", status="blocked"),
        message_id=message_id,
        occurred_at=created_at,
    )
    await eventually(lambda: db.fetchval("SELECT true FROM tokens WHERE uid = $1", uid))

    # Same message id, different (newer) content: only the inbox can tell it was seen before.
    await publish(
        TokenCreated(uid=uid, type="ISO14443", user_id="u-1", status="active"),
        message_id=message_id,
        occurred_at=created_at + timedelta(seconds=1),
    )
    marker = await publish(TokenCreated(uid=f"{uid}-marker", type="ISO14443", user_id="u-2", status="active"))
    await eventually(lambda: db.fetchval("SELECT true FROM inbox WHERE message_id = $1", marker))

    assert (await authorize(rpc, cp, uid)).status == "Blocked"
    assert await db.fetchval("SELECT count(*) FROM inbox WHERE message_id = $1", message_id) == 1
