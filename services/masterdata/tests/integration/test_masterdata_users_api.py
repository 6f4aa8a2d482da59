"""Users and their tokens through the operator API, with the events they publish."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from .conftest import AUTH, EventTap, unique

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]


async def test_create_user_publishes_and_email_is_unique_in_any_case(client: Client, events: EventTap) -> None:
    email = f"{unique('Anna')}@Example.com"
    response = await client.post("/api/v1/users", json={"email": email, "name": "Anna Berg"}, headers=AUTH)
    assert response.status == 201
    created = await response.json()
    assert set(created) == {"id", "email", "name", "created_at"}
    assert created["email"] == email.replace("Example.com", "example.com")

    event = await events.wait_for("masterdata.user.created", user_id=created["id"])
    assert event["data"] == {"user_id": created["id"], "email": created["email"], "name": "Anna Berg"}

    duplicate = await client.post("/api/v1/users", json={"email": email.upper(), "name": "Other"}, headers=AUTH)
    assert duplicate.status == 409
    assert (await client.get(f"/api/v1/users/{created['id']}", headers=AUTH)).status == 200
    listed = await client.get("/api/v1/users?limit=1000", headers=AUTH)
    assert created in (await listed.json())["items"]


async def test_invalid_user_is_422(client: Client) -> None:
    response = await client.post("/api/v1/users", json={"email": "no-at-sign", "name": "X"}, headers=AUTH)
    assert response.status == 422
    assert [reason["field"] for reason in (await response.json())["detail"]] == ["email"]


async def test_token_lifecycle(client: Client, events: EventTap, user: dict[str, Any]) -> None:
    uid = unique("04A2b3").upper()[:20] + "+=:|@."
    response = await client.post(f"/api/v1/users/{user['id']}/tokens", json={"uid": uid, "type": "RFID"}, headers=AUTH)
    assert response.status == 201
    created = await response.json()
    assert {k: created[k] for k in ("uid", "type", "user_id", "status")} == {
        "uid": uid,
        "type": "RFID",
        "user_id": user["id"],
        "status": "active",
    }
    assert response.headers["Location"] == f"/api/v1/tokens/{quote(uid, safe='')}"
    created_event = await events.wait_for("masterdata.token.created", uid=uid)
    assert created_event["data"] == {"uid": uid, "type": "RFID", "user_id": user["id"], "status": "active"}

    # OCPP id tokens are case-insensitive: the lower-case spelling finds the same token.
    fetched = await client.get(f"/api/v1/tokens/{quote(uid.lower(), safe='')}", headers=AUTH)
    assert (await fetched.json())["uid"] == uid
    listed = await client.get(f"/api/v1/users/{user['id']}/tokens", headers=AUTH)
    assert [t["uid"] for t in (await listed.json())["items"]] == [uid]

    path = f"/api/v1/tokens/{quote(uid, safe='')}"
    for status in ("blocked", "blocked", "active"):
        patched = await client.patch(path, json={"status": status}, headers=AUTH)
        assert patched.status == 200
        assert (await patched.json())["status"] == status
    await events.wait_for("masterdata.token.updated", uid=uid, status="active")
    # Blocking twice changed the token once: one event, and the events keep the order of the changes.
    updates = [e["data"]["status"] for e in events.matching("masterdata.token.updated", uid=uid)]
    assert updates == ["blocked", "active"]


async def test_duplicate_token_uid_in_other_case_is_409(client: Client, user: dict[str, Any]) -> None:
    uid = unique("abcdef")
    path = f"/api/v1/users/{user['id']}/tokens"
    assert (await client.post(path, json={"uid": uid, "type": "ISO14443"}, headers=AUTH)).status == 201
    duplicate = await client.post(path, json={"uid": uid.upper(), "type": "ISO14443"}, headers=AUTH)
    assert duplicate.status == 409


async def test_token_for_unknown_user_is_404(client: Client) -> None:
    for user_id in ("00000000-0000-4000-8000-000000000000", "nobody"):
        response = await client.post(
            f"/api/v1/users/{user_id}/tokens", json={"uid": unique("t"), "type": "RFID"}, headers=AUTH
        )
        assert response.status == 404
        assert (await client.get(f"/api/v1/users/{user_id}/tokens", headers=AUTH)).status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"uid": "x", "type": "NoAuthorization"}, "type"),
        ({"uid": "a" * 37, "type": "RFID"}, "uid"),
        ({"uid": "with space", "type": "RFID"}, "uid"),
    ],
)
async def test_invalid_token_is_422(client: Client, user: dict[str, Any], body: dict[str, Any], field: str) -> None:
    response = await client.post(f"/api/v1/users/{user['id']}/tokens", json=body, headers=AUTH)
    assert response.status == 422
    assert field in {reason["field"] for reason in (await response.json())["detail"]}


async def test_token_patch_validation_and_unknown_uid(client: Client, user: dict[str, Any]) -> None:
    uid = unique("tok")
    await client.post(f"/api/v1/users/{user['id']}/tokens", json={"uid": uid, "type": "Local"}, headers=AUTH)
    assert (await client.patch(f"/api/v1/tokens/{uid}", json={"status": "deleted"}, headers=AUTH)).status == 422
    assert (await client.patch(f"/api/v1/tokens/{uid}", json={}, headers=AUTH)).status == 422
    assert (
        await client.patch(f"/api/v1/tokens/{unique('none')}", json={"status": "blocked"}, headers=AUTH)
    ).status == 404


async def test_every_event_left_the_outbox(client: Client, events: EventTap, db: asyncpg.Connection) -> None:
    response = await client.post(
        "/api/v1/users", json={"email": f"{unique('o')}@example.com", "name": "O"}, headers=AUTH
    )
    user_id = (await response.json())["id"]
    event = await events.wait_for("masterdata.user.created", user_id=user_id)
    # The relay marks a batch published when its transaction commits, just after the broker confirmed it.
    query = "SELECT routing_key, published_at FROM outbox WHERE message_id = $1"
    for _ in range(50):
        row = await db.fetchrow(query, event["message_id"])
        if row["published_at"] is not None:
            break
        await asyncio.sleep(0.1)
    assert row["routing_key"] == "masterdata.user.created"
    assert row["published_at"] is not None
