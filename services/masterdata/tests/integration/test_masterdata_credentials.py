"""Handshake checks beyond the password: the client certificate path (security profile 3) and the
pending password of a rotation, over the real RPC and database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from ladeplan_contracts.rpc import AuthenticateChargePointReply, AuthenticateChargePointRequest
from ladeplan_platform.rpc import RpcClient
from masterdata import password_repository
from masterdata.app import AUTHENTICATOR

from .conftest import AUTH, unique

pytestmark = pytest.mark.integration

PASSWORD = "current-password-123"
PENDING = "pending-password-456"


@pytest.fixture(scope="module")
async def rpc(amqp_url: str, client: TestClient[Any, Any]) -> AsyncIterator[RpcClient]:
    rpc_client = RpcClient(amqp_url)
    await rpc_client.start()
    yield rpc_client
    await rpc_client.close()


@pytest.fixture
async def charge_point(client: TestClient[Any, Any], location: dict[str, Any]) -> dict[str, Any]:
    body = {
        "id": unique("CRED"),
        "location_id": location["id"],
        "password": PASSWORD,
        "connectors": [{"connector_id": 1, "max_power_kw": 11}],
    }
    response = await client.post("/api/v1/charge-points", json=body, headers=AUTH)
    assert response.status == 201, await response.text()
    return dict(await response.json())


async def ask(rpc: RpcClient, charge_point_id: str, password: str = "", *, certificate: bool = False) -> bool:
    request = AuthenticateChargePointRequest(
        charge_point_id=charge_point_id, password=password, client_certificate=certificate
    )
    reply = await rpc.call(request, AuthenticateChargePointReply, charge_point_id=charge_point_id)
    return reply.accepted


async def test_certificate_path_accepts_registered_charge_points_only(
    rpc: RpcClient, charge_point: dict[str, Any]
) -> None:
    assert await ask(rpc, charge_point["id"], certificate=True)
    assert not await ask(rpc, "CRED-never-registered", certificate=True)
    assert not await ask(rpc, "not/a/valid/id", certificate=True)
    # Without the gateway's certificate flag, an empty password is just a wrong password.
    assert not await ask(rpc, charge_point["id"])


async def test_pending_password_is_promoted_at_its_first_use(
    rpc: RpcClient, charge_point: dict[str, Any], db: asyncpg.Connection, client: TestClient[Any, Any]
) -> None:
    cp_id = charge_point["id"]
    pending_hash = await client.app[AUTHENTICATOR].hash_password(PENDING)  # hashed as in production
    assert await password_repository.set_pending(db, cp_id, pending_hash) == "set"
    assert await password_repository.set_pending(db, cp_id, pending_hash) == "busy"
    assert await ask(rpc, cp_id, PASSWORD)  # the current password still works, the pending one stays
    before = await password_repository.get_password_hashes(db, cp_id)
    assert before is not None
    assert before.pending == pending_hash
    assert await ask(rpc, cp_id, PENDING)
    hashes = await password_repository.get_password_hashes(db, cp_id)
    assert hashes is not None
    assert (hashes.current, hashes.pending, hashes.pending_since) == (pending_hash, None, None)
    assert not await ask(rpc, cp_id, PASSWORD)
    assert await password_repository.set_pending(db, "CRED-never-registered", pending_hash) == "unknown"
