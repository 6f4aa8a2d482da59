"""The operator API end to end (health, auth, OpenAPI, locations, charge points) on real PostgreSQL and RabbitMQ."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from masterdata.handlers.commands_api import command_models

from .conftest import AUTH, EventTap, unique

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]


def charge_point_body(location_id: str) -> dict[str, Any]:
    return {
        "id": unique("CP"),
        "location_id": location_id,
        "password": "correct-horse-battery",
        "connectors": [{"connector_id": 1, "max_power_kw": 22.0}, {"connector_id": 2, "max_power_kw": 11}],
    }


async def test_health_checks_database_and_bus(client: Client) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "checks": {"database": "ok", "bus": "ok"}}


async def test_openapi_is_public_and_lists_every_path(client: Client) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200
    document = await response.json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/v1/locations",
        "/api/v1/locations/{location_id}",
        "/api/v1/charge-points",
        "/api/v1/charge-points/{charge_point_id}",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/users/{user_id}/tokens",
        "/api/v1/tokens/{uid}",
        "/api/v1/charge-points/{charge_point_id}/password-rotation",
    } | {f"/api/v1/charge-points/{{charge_point_id}}/commands/{kind}" for kind in command_models()}


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic k1"}, {"Authorization": "k1"}]
)
async def test_api_needs_an_operator_key(client: Client, headers: dict[str, str]) -> None:
    for method, path in (("GET", "/api/v1/locations"), ("POST", "/api/v1/users"), ("PATCH", "/api/v1/tokens/x")):
        response = await client.request(method, path, headers=headers, json={})
        assert response.status == 401
        assert (await response.json())["error"] == "unauthorized"


async def test_every_configured_key_is_accepted(client: Client) -> None:
    response = await client.get("/api/v1/locations", headers={"Authorization": "Bearer k2"})
    assert response.status == 200


async def test_create_location_publishes_and_reads_back(client: Client, events: EventTap) -> None:
    name = unique("Depot Nord")
    response = await client.post(
        "/api/v1/locations",
        json={"name": f"  {name} ", "timezone": "Europe/Berlin", "grid_limit_kw": 150},
        headers=AUTH,
    )
    assert response.status == 201
    created = await response.json()
    assert set(created) == {"id", "name", "timezone", "grid_limit_kw", "created_at"}
    assert (created["name"], created["timezone"], created["grid_limit_kw"]) == (name, "Europe/Berlin", 150.0)
    assert response.headers["Location"] == f"/api/v1/locations/{created['id']}"

    event = await events.wait_for("masterdata.location.created", location_id=created["id"])
    assert event["data"] == {
        "location_id": created["id"],
        "name": name,
        "timezone": "Europe/Berlin",
        "grid_limit_kw": 150.0,
    }

    fetched = await client.get(f"/api/v1/locations/{created['id']}", headers=AUTH)
    assert await fetched.json() == created
    listed = await client.get("/api/v1/locations?limit=1000", headers=AUTH)
    assert created in (await listed.json())["items"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "timezone": "Europe/Atlantis", "grid_limit_kw": 1}, "timezone"),
        ({"name": "X", "timezone": "UTC", "grid_limit_kw": 0}, "grid_limit_kw"),
        ({"name": " ", "timezone": "UTC", "grid_limit_kw": 1}, "name"),
        ({"timezone": "UTC", "grid_limit_kw": 1}, "name"),
    ],
)
async def test_invalid_location_is_422_with_reasons(client: Client, body: dict[str, Any], field: str) -> None:
    response = await client.post("/api/v1/locations", json=body, headers=AUTH)
    assert response.status == 422
    payload = await response.json()
    assert payload["error"] == "invalid_body"
    assert field in {reason["field"] for reason in payload["detail"]}


async def test_malformed_json_is_422(client: Client) -> None:
    response = await client.post("/api/v1/locations", data=b"{not json", headers=AUTH)
    assert response.status == 422


@pytest.mark.parametrize("path", ["/api/v1/locations/", "/api/v1/users/", "/api/v1/charge-points/", "/api/v1/tokens/"])
@pytest.mark.parametrize("key", ["00000000-0000-4000-8000-000000000000", "not-a-uuid"])
async def test_unknown_ids_are_404(client: Client, path: str, key: str) -> None:
    response = await client.get(path + key, headers=AUTH)
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"


async def test_list_paging_is_validated(client: Client) -> None:
    assert (await client.get("/api/v1/users?limit=0", headers=AUTH)).status == 422
    assert (await client.get("/api/v1/users?offset=-1", headers=AUTH)).status == 422
    one = await client.get("/api/v1/users?limit=1", headers=AUTH)
    assert len((await one.json())["items"]) <= 1


async def test_create_charge_point_stores_only_a_hash(
    client: Client, events: EventTap, location: dict[str, Any], db: asyncpg.Connection
) -> None:
    body = charge_point_body(location["id"])
    response = await client.post("/api/v1/charge-points", json=body, headers=AUTH)
    assert response.status == 201
    text = await response.text()
    assert body["password"] not in text
    assert "argon2" not in text
    assert "password" not in text
    created = await response.json()
    assert created["id"] == body["id"]
    assert created["location_id"] == location["id"]
    assert created["connectors"] == [
        {"connector_id": 1, "max_power_kw": 22.0},
        {"connector_id": 2, "max_power_kw": 11.0},
    ]

    stored = await db.fetchval("SELECT password_hash FROM charge_points WHERE id = $1", body["id"])
    assert stored.startswith("$argon2id$")
    assert body["password"] not in stored

    event = await events.wait_for("masterdata.chargepoint.created", charge_point_id=body["id"])
    assert event["charge_point_id"] == body["id"]
    assert event["data"] == {
        "charge_point_id": body["id"],
        "location_id": location["id"],
        "connectors": created["connectors"],
    }

    fetched = await (await client.get(f"/api/v1/charge-points/{body['id']}", headers=AUTH)).json()
    # A charge point that never connected: the read model of the gateway's reports is empty.
    assert fetched.pop("status") == {
        "connection": {"connected": False, "ocpp_version": None, "since": None},
        "last_seen_at": None,
        "boot": None,
        "firmware": None,
    }
    assert fetched == created
    listed = await client.get("/api/v1/charge-points?limit=1000", headers=AUTH)
    assert created in (await listed.json())["items"]


async def test_duplicate_charge_point_is_409(client: Client, location: dict[str, Any]) -> None:
    body = charge_point_body(location["id"])
    assert (await client.post("/api/v1/charge-points", json=body, headers=AUTH)).status == 201
    again = await client.post("/api/v1/charge-points", json=body, headers=AUTH)
    assert again.status == 409
    assert (await again.json())["error"] == "conflict"


async def test_charge_point_at_unknown_location_is_422(client: Client, db: asyncpg.Connection) -> None:
    body = charge_point_body("00000000-0000-4000-8000-000000000000")
    response = await client.post("/api/v1/charge-points", json=body, headers=AUTH)
    assert response.status == 422
    assert (await response.json())["detail"] == [
        {"field": "location_id", "message": "unknown location", "type": "unknown_reference"}
    ]
    assert await db.fetchval("SELECT count(*) FROM charge_points WHERE id = $1", body["id"]) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id": "cp/with/slash"}, "id"),
        ({"password": "too-short"}, "password"),
        (
            {"connectors": [{"connector_id": 1, "max_power_kw": 22}, {"connector_id": 1, "max_power_kw": 22}]},
            "connectors",
        ),
        ({"connectors": [{"connector_id": 0, "max_power_kw": 22}]}, "connectors.0.connector_id"),
        ({"location_id": "somewhere"}, "location_id"),
    ],
)
async def test_invalid_charge_point_is_422(
    client: Client, location: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/api/v1/charge-points", json=charge_point_body(location["id"]) | overrides, headers=AUTH
    )
    assert response.status == 422
    assert field in {reason["field"] for reason in (await response.json())["detail"]}
