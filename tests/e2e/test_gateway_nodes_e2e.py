"""Two gateway processes side by side: a charge point hops between them and commands follow it.

The old socket is not closed by the charge point (as with a half-open TCP connection), so for a
moment both nodes hold it. The newer connection's epoch wins: the old node closes its socket, and
a command is executed exactly once, by the connection that holds the charge point now.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import asyncpg
import pytest

from ladeplan.simulator.charge_points import Sim201
from ladeplan.simulator.connection import ClientConnection, open_socket
from tests.e2e.support import Operator, Stack, free_port

pytestmark = pytest.mark.e2e

SECOND = "ocpp-gateway-2"


@pytest.fixture(scope="module")
def second_gateway(stack: Stack) -> Iterator[str]:
    stack.services[SECOND] = replace(stack.services["ocpp-gateway"], name=SECOND, port=free_port())
    stack.start(SECOND)
    asyncio.run(stack.wait_healthy(SECOND))
    yield f"ws://127.0.0.1:{stack.services[SECOND].port}"
    stack.kill(SECOND)
    del stack.services[SECOND]


class Hop:
    """One connection of the charge point to one node, with its simulated station."""

    def __init__(self, sim: Sim201, socket: Any, reader: asyncio.Task[None]) -> None:
        self.sim, self.socket, self.reader = sim, socket, reader


@pytest.fixture
async def hops() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


async def connect(exits: AsyncExitStack, url: str, cp_id: str, password: str) -> Hop:
    socket = await exits.enter_async_context(open_socket(url, cp_id, password, "ocpp2.0.1"))
    sim = Sim201(cp_id, ClientConnection(socket), response_timeout=8)
    reader = asyncio.create_task(sim.start())
    exits.callback(reader.cancel)
    assert (await sim.boot()).status == "Accepted"
    return Hop(sim, socket, reader)


async def closed_by_server(hop: Hop) -> int | None:
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(hop.reader, 10)
    return hop.socket.close_code


async def remote_start(operator: Operator, cp_id: str, token: str) -> dict[str, Any]:
    url = f"{operator.stack.sessions_url}/charge-points/{cp_id}/remote-start"
    async with operator.http.post(url, json={"token_uid": token, "evse_id": 1}) as response:
        assert response.status == 200, await response.text()
        result: dict[str, Any] = await response.json()
        return result


async def epochs(stack: Stack, cp_id: str) -> tuple[str, int]:
    conn = await asyncpg.connect(stack.env["DATABASE_URL"])
    try:
        row = await conn.fetchrow("SELECT node_id, epoch FROM gateway.connections WHERE charge_point_id = $1", cp_id)
    finally:
        await conn.close()
    assert row is not None
    return row["node_id"], row["epoch"]


async def test_charge_point_hops_between_nodes(
    stack: Stack, operator: Operator, second_gateway: str, hops: AsyncExitStack
) -> None:
    cp_id, password = await operator.charge_point()
    token = await operator.token()

    first = await connect(hops, stack.gateway_url, cp_id, password)
    node_one, epoch_one = await epochs(stack, cp_id)
    assert (await remote_start(operator, cp_id, token))["status"] == "accepted"
    assert (await asyncio.wait_for(first.sim.remote_starts.get(), 5))["id_token"]["id_token"] == token

    # The charge point reconnects to the other node without closing its first socket.
    second = await connect(hops, second_gateway, cp_id, password)
    node_two, epoch_two = await epochs(stack, cp_id)
    assert node_two != node_one
    assert epoch_two == epoch_one + 1
    assert await closed_by_server(first) == 4000

    assert (await remote_start(operator, cp_id, token))["status"] == "accepted"
    assert (await asyncio.wait_for(second.sim.remote_starts.get(), 5))["id_token"]["id_token"] == token
    await asyncio.sleep(0.5)
    assert first.sim.remote_starts.empty(), "a command must not reach the superseded socket"
    assert second.sim.remote_starts.empty(), "the command must be delivered once"

    # And back to the first node: the second node lets go in turn.
    third = await connect(hops, stack.gateway_url, cp_id, password)
    assert (await epochs(stack, cp_id)) == (node_one, epoch_two + 1)
    assert await closed_by_server(second) == 4000
    assert (await remote_start(operator, cp_id, token))["status"] == "accepted"
    assert (await asyncio.wait_for(third.sim.remote_starts.get(), 5))["id_token"]["id_token"] == token
