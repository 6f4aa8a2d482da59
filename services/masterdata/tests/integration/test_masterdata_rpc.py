"""The gateway's handshake check over the bus: ``masterdata.authenticate-charge-point``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher, Type

from ladeplan_contracts.rpc import AuthenticateChargePointReply, AuthenticateChargePointRequest
from ladeplan_platform.rpc import RpcClient

from .conftest import AUTH, unique

pytestmark = pytest.mark.integration

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
async def rpc(amqp_url: str, client: TestClient[Any, Any]) -> AsyncIterator[RpcClient]:
    """A client like the gateway's; ``client`` makes sure masterdata is serving."""
    rpc_client = RpcClient(amqp_url)
    await rpc_client.start()
    yield rpc_client
    await rpc_client.close()


@pytest.fixture
async def charge_point(client: TestClient[Any, Any], location: dict[str, Any]) -> dict[str, Any]:
    body = {
        "id": unique("CP"),
        "location_id": location["id"],
        "password": PASSWORD,
        "connectors": [{"connector_id": 1, "max_power_kw": 11}],
    }
    response = await client.post("/api/v1/charge-points", json=body, headers=AUTH)
    assert response.status == 201, await response.text()
    return dict(await response.json())


async def authenticate(rpc: RpcClient, charge_point_id: str, password: str) -> AuthenticateChargePointReply:
    request = AuthenticateChargePointRequest(charge_point_id=charge_point_id, password=password)
    return await rpc.call(request, AuthenticateChargePointReply, charge_point_id=charge_point_id)


async def test_right_password_is_accepted_with_the_location(rpc: RpcClient, charge_point: dict[str, Any]) -> None:
    reply = await authenticate(rpc, charge_point["id"], PASSWORD)
    assert reply == AuthenticateChargePointReply(accepted=True, location_id=charge_point["location_id"])


@pytest.mark.parametrize("password", [PASSWORD.upper(), PASSWORD[:-1], "", PASSWORD + "x" * 10_000])
async def test_wrong_password_is_refused(rpc: RpcClient, charge_point: dict[str, Any], password: str) -> None:
    assert await authenticate(rpc, charge_point["id"], password) == AuthenticateChargePointReply(accepted=False)


@pytest.mark.parametrize("charge_point_id", ["CP-never-registered", "not/a/valid/id", ""])
async def test_unknown_charge_point_is_refused(rpc: RpcClient, charge_point_id: str) -> None:
    reply = await authenticate(rpc, charge_point_id, PASSWORD)
    assert reply == AuthenticateChargePointReply(accepted=False)


async def test_ids_are_matched_exactly(rpc: RpcClient, charge_point: dict[str, Any]) -> None:
    reply = await authenticate(rpc, charge_point["id"].lower(), PASSWORD)
    assert not reply.accepted


async def test_concurrent_handshakes_are_all_answered(
    rpc: RpcClient, charge_point: dict[str, Any], client: TestClient[Any, Any]
) -> None:
    """A reconnect storm: argon2 runs in threads, so the API stays responsive meanwhile."""
    calls = [authenticate(rpc, charge_point["id"], PASSWORD if i % 2 else "wrong-password-123") for i in range(20)]
    replies, health = await asyncio.gather(asyncio.gather(*calls), client.get("/health"))
    assert [reply.accepted for reply in replies] == [bool(i % 2) for i in range(20)]
    assert health.status == 200


async def test_outdated_hash_is_upgraded_on_login(
    rpc: RpcClient, charge_point: dict[str, Any], db: asyncpg.Connection
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID).hash(PASSWORD)
    await db.execute("UPDATE charge_points SET password_hash = $2 WHERE id = $1", charge_point["id"], weak)

    assert (await authenticate(rpc, charge_point["id"], PASSWORD)).accepted

    upgraded = await db.fetchval("SELECT password_hash FROM charge_points WHERE id = $1", charge_point["id"])
    assert upgraded != weak
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (await authenticate(rpc, charge_point["id"], PASSWORD)).accepted
