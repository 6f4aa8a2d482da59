"""One trace follows a meter value from the websocket frame across RabbitMQ to session-manager's commit.

The three services run in this process (real PostgreSQL, real RabbitMQ in a vhost of this
module), so the spans they record can be read back from the in-memory exporter.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import masterdata.app
import masterdata.config
import ocpp_gateway.app
import ocpp_gateway.config
import session_manager.app
import session_manager.config
from ladeplan.simulator.charge_points import Sim16
from ladeplan.simulator.connection import ClientConnection, open_socket

pytestmark = pytest.mark.integration

KEY = "trace-test-key"
PASSWORD = "trace-test-password-123"


@pytest.fixture(scope="module")
async def servers(database_url: str, module_amqp_url: str) -> AsyncIterator[dict[str, TestServer]]:
    common = {"database_url": database_url, "amqp_url": module_amqp_url, "operator_api_keys": KEY}
    apps = {
        "masterdata": await masterdata.app.create_app(masterdata.config.Settings(**common)),
        "sessions": await session_manager.app.create_app(session_manager.config.Settings(**common)),
        "gateway": await ocpp_gateway.app.create_app(ocpp_gateway.config.Settings(**common)),
    }
    servers = {name: TestServer(app, host="127.0.0.1") for name, app in apps.items()}
    for server in servers.values():
        await server.start_server()
    yield servers
    for server in servers.values():
        await server.close()


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_meter_value_trace_reaches_the_database(
    servers: dict[str, TestServer], spans: InMemorySpanExporter
) -> None:
    api = f"http://127.0.0.1:{servers['masterdata'].port}/api/v1"
    cp_id = f"TRACE-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {KEY}"}) as http:
        async with http.post(f"{api}/locations", json={"name": "T", "timezone": "UTC", "grid_limit_kw": 10}) as r:
            location = (await r.json())["id"]
        body = {
            "id": cp_id,
            "location_id": location,
            "password": PASSWORD,
            "connectors": [{"connector_id": 1, "max_power_kw": 11}],
        }
        async with http.post(f"{api}/charge-points", json=body) as r:
            assert r.status == 201

    async with open_socket(f"ws://127.0.0.1:{servers['gateway'].port}", cp_id, PASSWORD, "ocpp1.6") as socket:
        sim = Sim16(cp_id, ClientConnection(socket))
        reader = asyncio.create_task(sim.start())
        try:
            started = await sim.start_transaction(1, "ANY-TOKEN", 0)
            spans.clear()
            await sim.meter_values(1, started.transaction_id, 500, 3700.0)
        finally:
            reader.cancel()

    async def stored() -> list[ReadableSpan]:
        for _ in range(100):
            done = [s for s in spans.get_finished_spans() if s.name == "db transaction.meter_values"]
            if done:
                return done
            await asyncio.sleep(0.05)
        raise AssertionError([s.name for s in spans.get_finished_spans()])

    db_span = (await stored())[0]
    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    ocpp_span = next(s for s in finished if s.name == "ocpp MeterValues")
    assert db_span.context.trace_id == ocpp_span.context.trace_id
    chain = _ancestors(db_span, by_id)
    assert chain[:2] == ["consume transaction.meter_values", "publish transaction.meter_values"]
    assert "ocpp MeterValues" in chain
