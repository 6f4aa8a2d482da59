"""Password rotation end to end: masterdata's operator API -> bus -> gateway -> simulated charge point, and
the handshake that follows (masterdata and the gateway in this process, real PostgreSQL and RabbitMQ).

A compliant charge point disconnects after accepting a new password and reconnects with it (OCPP 1.6
security whitepaper, 2.0.1 A01); the simulators leave their connection to the caller, so the tests do that.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

import masterdata.app
import masterdata.config
import ocpp_gateway.app
import ocpp_gateway.config
from ladeplan.simulator.charge_points import Sim16, Sim201
from ladeplan.simulator.connection import ClientConnection, open_socket

pytestmark = pytest.mark.integration

KEY = "rotation-test-key"
OLD = "old-password-0123456789"


@pytest.fixture(scope="module")
async def servers(database_url: str, module_amqp_url: str) -> AsyncIterator[dict[str, str]]:
    common = {"database_url": database_url, "amqp_url": module_amqp_url, "operator_api_keys": KEY}
    md = TestServer(await masterdata.app.create_app(masterdata.config.Settings(**common)), host="127.0.0.1")
    gw = TestServer(await ocpp_gateway.app.create_app(ocpp_gateway.config.Settings(**common)), host="127.0.0.1")
    for server in (md, gw):
        await server.start_server()
    yield {"api": f"http://127.0.0.1:{md.port}/api/v1", "gateway": f"ws://127.0.0.1:{gw.port}"}
    for server in (gw, md):
        await server.close()


@pytest.fixture
async def operator(servers: dict[str, str]) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=servers["api"] + "/", headers={"Authorization": f"Bearer {KEY}"}) as s:
        yield s


async def register(operator: aiohttp.ClientSession) -> str:
    async with operator.post("locations", json={"name": "Rotation", "timezone": "UTC", "grid_limit_kw": 22}) as r:
        location = (await r.json())["id"]
    cp_id = f"ROT-{uuid.uuid4().hex[:8]}"
    body = {
        "id": cp_id,
        "location_id": location,
        "password": OLD,
        "connectors": [{"connector_id": 1, "max_power_kw": 11}],
    }
    async with operator.post("charge-points", json=body) as r:
        assert r.status == 201, await r.text()
    return cp_id


async def rotate(operator: aiohttp.ClientSession, cp_id: str, **body: Any) -> tuple[int, dict[str, Any]]:
    async with operator.post(f"charge-points/{cp_id}/password-rotation", json=body) as response:
        return response.status, await response.json()


async def pending(operator: aiohttp.ClientSession, cp_id: str) -> bool:
    async with operator.get(f"charge-points/{cp_id}/password-rotation") as response:
        assert response.status == 200
        return bool((await response.json())["pending"])


async def handshake(servers: dict[str, str], cp_id: str, password: str) -> int:
    """101 when the gateway lets the charge point in with ``password``, else the refusal's status."""
    try:
        async with open_socket(servers["gateway"], cp_id, password, "ocpp1.6"):
            return 101
    except aiohttp.WSServerHandshakeError as refused:
        return refused.status


@asynccontextmanager
async def connected(servers: dict[str, str], sim_class: type[Any], cp_id: str, password: str) -> AsyncIterator[Any]:
    protocol = "ocpp1.6" if sim_class is Sim16 else "ocpp2.0.1"
    async with open_socket(servers["gateway"], cp_id, password, protocol) as socket:
        sim = sim_class(cp_id, ClientConnection(socket))
        reader = asyncio.create_task(sim.start())
        try:
            assert (await sim.boot()).status == "Accepted"
            yield sim
        finally:
            reader.cancel()


def v16_password(sim: Sim16) -> str:
    return bytes.fromhex(sim.configuration["AuthorizationKey"]).decode()


def v2_password(sim: Sim201) -> str:
    return str(sim.variables[("SecurityCtrlr", "BasicAuthPassword")].value)


async def test_v16_generated_password_replaces_the_old_one_at_the_next_login(
    servers: dict[str, str], operator: aiohttp.ClientSession
) -> None:
    cp_id = await register(operator)
    async with connected(servers, Sim16, cp_id, OLD) as sim:
        status, body = await rotate(operator, cp_id)
        assert (status, body["status"], body["pending"]) == (200, "accepted", True)
        new = v16_password(sim)
    assert len(new) == 20
    assert new.isalnum()
    assert await pending(operator, cp_id)
    # The charge point reconnects with its new password; from then on the old one is refused.
    assert await handshake(servers, cp_id, new) == 101
    assert not await pending(operator, cp_id)
    assert await handshake(servers, cp_id, OLD) == 401
    assert await handshake(servers, cp_id, new) == 101


async def test_v201_given_password_is_set_as_security_controller_variable(
    servers: dict[str, str], operator: aiohttp.ClientSession
) -> None:
    cp_id = await register(operator)
    new = "a-chosen-password-of-36-characters!!"
    async with connected(servers, Sim201, cp_id, OLD) as sim:
        status, body = await rotate(operator, cp_id, password=new)
        assert (status, body["status"]) == (200, "accepted")
        assert v2_password(sim) == new
    assert await handshake(servers, cp_id, new) == 101
    assert await handshake(servers, cp_id, OLD) == 401


async def test_refused_rotation_keeps_the_old_password(
    servers: dict[str, str], operator: aiohttp.ClientSession
) -> None:
    cp_id = await register(operator)
    new = "never-taken-password-0001"
    async with connected(servers, Sim201, cp_id, OLD) as sim:
        sim.variables[("SecurityCtrlr", "BasicAuthPassword")].mutability = "ReadOnly"  # the station answers Rejected
        status, body = await rotate(operator, cp_id, password=new)
        assert (status, body["error"]) == (409, "charge_point_rejected")
        assert "SecurityCtrlr.BasicAuthPassword: Rejected" in body["detail"]["detail"]
    assert not await pending(operator, cp_id)
    assert await handshake(servers, cp_id, new) == 401
    assert await handshake(servers, cp_id, OLD) == 101


async def test_v16_password_beyond_20_bytes_is_refused_before_it_is_sent(
    servers: dict[str, str], operator: aiohttp.ClientSession
) -> None:
    cp_id = await register(operator)
    async with connected(servers, Sim16, cp_id, OLD) as sim:
        status, body = await rotate(operator, cp_id, password="x" * 30)
        assert (status, body["error"]) == (409, "charge_point_rejected")
        assert "16 to 20 bytes" in body["detail"]["detail"]
        assert not any(action == "ChangeConfiguration" for action, _ in sim.received)
    assert await handshake(servers, cp_id, OLD) == 101


async def test_offline_charge_point_keeps_its_password(
    servers: dict[str, str], operator: aiohttp.ClientSession
) -> None:
    cp_id = await register(operator)
    status, body = await rotate(operator, cp_id)
    assert (status, body["error"]) == (409, "charge_point_offline")
    assert not await pending(operator, cp_id)
    assert await handshake(servers, cp_id, OLD) == 101


async def test_unanswered_rotation_keeps_both_passwords_until_one_is_used(
    servers: dict[str, str], operator: aiohttp.ClientSession
) -> None:
    cp_id = await register(operator)
    new = "maybe-received-pw-01"  # 20 bytes: the most a 1.6 AuthorizationKey holds
    # A charge point that takes the CALL and never answers: did it store the password or not?
    async with open_socket(servers["gateway"], cp_id, OLD, "ocpp1.6") as silent:
        status, body = await rotate(operator, cp_id, password=new, timeout_s=1)
        assert (status, body["status"], body["pending"]) == (200, "timeout", True)
        call = await silent.receive_json(timeout=5)
        assert call[2:] == ["ChangeConfiguration", {"key": "AuthorizationKey", "value": new.encode().hex().upper()}]
    assert await handshake(servers, cp_id, OLD) == 101  # it did not take it: still let in
    assert await pending(operator, cp_id)  # ... and it may still switch
    assert await handshake(servers, cp_id, new) == 101  # it did: the new password wins
    assert await handshake(servers, cp_id, OLD) == 401


async def test_one_rotation_at_a_time_and_a_pending_password_can_be_discarded(
    servers: dict[str, str], operator: aiohttp.ClientSession
) -> None:
    cp_id = await register(operator)
    async with connected(servers, Sim201, cp_id, OLD) as sim:
        assert (await rotate(operator, cp_id))[0] == 200
        first = v2_password(sim)
        status, body = await rotate(operator, cp_id)
        assert (status, body["error"]) == (409, "rotation_pending")
        assert v2_password(sim) == first  # the second rotation sent nothing
    async with operator.delete(f"charge-points/{cp_id}/password-rotation") as response:
        assert response.status == 204
    assert not await pending(operator, cp_id)
    assert await handshake(servers, cp_id, first) == 401
    assert await handshake(servers, cp_id, OLD) == 101


async def test_rotation_needs_a_known_charge_point_and_valid_body(operator: aiohttp.ClientSession) -> None:
    assert (await rotate(operator, "NO-SUCH-CP"))[0] == 404
    cp_id = await register(operator)
    status, body = await rotate(operator, cp_id, password="short")
    assert (status, body["error"]) == (422, "invalid_body")
    # The password command is not offered as a raw operator command: it would bypass the stored hash.
    async with operator.post(f"charge-points/{cp_id}/commands/set_basic_auth_password", json={}) as response:
        assert response.status in (404, 405)
