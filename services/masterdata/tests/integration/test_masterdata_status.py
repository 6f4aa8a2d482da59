"""The charge point status read model: gateway events on the real RabbitMQ into GET /charge-points/{id}.

The gateway lies outside masterdata, so the test publishes its events the way it does (envelope,
``message-type`` header, persistent) and reads the result through the operator API.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import pytest
from aiohttp.test_utils import TestClient

from ladeplan_contracts.chargepoint import ChargePointsSeen, FirmwareStatusNotified, Seen
from ladeplan_contracts.envelope import Contract, Envelope, new_envelope
from ladeplan_contracts.events import ChargePointBooted, ChargePointConnected, ChargePointDisconnected
from ladeplan_contracts.names import EVENTS_EXCHANGE
from ladeplan_platform.bus import encode, headers_for

from .conftest import AUTH, unique

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


class Gateway:
    """Publishes like the gateway: one envelope per event, routed by its type."""

    def __init__(self, exchange: aio_pika.abc.AbstractExchange) -> None:
        self.exchange = exchange

    async def publish(self, body: Contract, *, at: datetime, charge_point_id: str | None = None) -> Envelope[Any]:
        envelope = new_envelope(body, charge_point_id=charge_point_id, occurred_at=at)
        await self.exchange.publish(
            aio_pika.Message(
                encode(envelope),
                message_id=envelope.message_id,
                type=envelope.type,
                headers=headers_for(envelope),
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=envelope.type,
        )
        return envelope

    async def republish(self, envelope: Envelope[Any]) -> None:
        await self.exchange.publish(
            aio_pika.Message(
                encode(envelope), message_id=envelope.message_id, type=envelope.type, headers=headers_for(envelope)
            ),
            routing_key=envelope.type,
        )


@pytest.fixture
async def gateway(amqp: aio_pika.abc.AbstractConnection, client: Client) -> Any:
    channel = await amqp.channel()
    exchange = await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    yield Gateway(exchange)
    await channel.close()


@pytest.fixture
async def charge_point(client: Client, location: dict[str, Any]) -> str:
    cp_id = unique("STATUS")
    body = {
        "id": cp_id,
        "location_id": location["id"],
        "password": "status-test-password-12",
        "connectors": [{"connector_id": 1, "max_power_kw": 22.0}],
    }
    assert (await client.post("/api/v1/charge-points", json=body, headers=AUTH)).status == 201
    return cp_id


async def status_when(client: Client, cp_id: str, check: Any, timeout: float = 10.0) -> dict[str, Any]:
    """The charge point's ``status`` once ``check(status)`` holds (events are applied asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get(f"/api/v1/charge-points/{cp_id}", headers=AUTH)
        assert response.status == 200
        status: dict[str, Any] = (await response.json())["status"]
        if check(status):
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"status did not reach the expected state: {status}")
        await asyncio.sleep(0.1)


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


async def test_connection_boot_firmware_and_last_seen_are_kept(
    client: Client, gateway: Gateway, charge_point: str
) -> None:
    cp = charge_point
    await gateway.publish(
        ChargePointConnected(charge_point_id=cp, ocpp_version="2.0.1", node_id="node-a", epoch=3),
        at=T0,
        charge_point_id=cp,
    )
    await gateway.publish(
        ChargePointBooted(
            charge_point_id=cp,
            vendor="Acme",
            model="Wallbox 22",
            serial_number="SN-1",
            firmware_version="1.2.3",
            reason="PowerUp",
        ),
        at=T0 + timedelta(seconds=1),
        charge_point_id=cp,
    )
    await gateway.publish(
        FirmwareStatusNotified(charge_point_id=cp, status="downloading", request_id=77),
        at=T0 + timedelta(seconds=2),
        charge_point_id=cp,
    )
    await gateway.publish(
        ChargePointsSeen(
            node_id="node-a", charge_points=[Seen(charge_point_id=cp, last_seen_at=T0 + timedelta(seconds=30))]
        ),
        at=T0 + timedelta(seconds=31),
    )
    status = await status_when(client, cp, lambda s: s["last_seen_at"] == iso(T0 + timedelta(seconds=30)))
    assert status == {
        "connection": {"connected": True, "ocpp_version": "2.0.1", "since": iso(T0)},
        "last_seen_at": iso(T0 + timedelta(seconds=30)),
        "boot": {
            "vendor": "Acme",
            "model": "Wallbox 22",
            "serial_number": "SN-1",
            "firmware_version": "1.2.3",
            "reason": "PowerUp",
            "at": iso(T0 + timedelta(seconds=1)),
        },
        "firmware": {"status": "downloading", "request_id": 77, "at": iso(T0 + timedelta(seconds=2))},
    }

    await gateway.publish(
        ChargePointDisconnected(charge_point_id=cp, node_id="node-a", epoch=3, reason="closed"),
        at=T0 + timedelta(seconds=40),
        charge_point_id=cp,
    )
    status = await status_when(client, cp, lambda s: not s["connection"]["connected"])
    assert status["connection"] == {
        "connected": False,
        "ocpp_version": "2.0.1",
        "since": iso(T0 + timedelta(seconds=40)),
    }
    assert status["last_seen_at"] == iso(T0 + timedelta(seconds=40))
    assert status["boot"]["vendor"] == "Acme"  # boot info outlives the connection


async def test_late_and_repeated_events_never_undo_newer_state(
    client: Client, gateway: Gateway, charge_point: str
) -> None:
    cp = charge_point
    opened = await gateway.publish(
        ChargePointConnected(charge_point_id=cp, ocpp_version="1.6", node_id="node-a", epoch=1),
        at=T0,
        charge_point_id=cp,
    )
    # The charge point reconnected to another node (epoch 2) before node-a's close of epoch 1 arrived.
    await gateway.publish(
        ChargePointConnected(charge_point_id=cp, ocpp_version="2.1", node_id="node-b", epoch=2),
        at=T0 + timedelta(seconds=5),
        charge_point_id=cp,
    )
    await gateway.publish(
        ChargePointDisconnected(charge_point_id=cp, node_id="node-a", epoch=1),
        at=T0 + timedelta(seconds=6),
        charge_point_id=cp,
    )
    await gateway.republish(opened)  # redelivered: applied once, and older than epoch 2 anyway
    await gateway.publish(
        FirmwareStatusNotified(charge_point_id=cp, status="installed"),
        at=T0 + timedelta(seconds=20),
        charge_point_id=cp,
    )
    # An older firmware status arriving later (e.g. dead-lettered and replayed) loses to the newer one.
    await gateway.publish(
        FirmwareStatusNotified(charge_point_id=cp, status="installing"),
        at=T0 + timedelta(seconds=10),
        charge_point_id=cp,
    )
    await gateway.publish(
        ChargePointsSeen(
            node_id="node-b", charge_points=[Seen(charge_point_id=cp, last_seen_at=T0 + timedelta(seconds=3))]
        ),
        at=T0 + timedelta(seconds=21),
    )
    marker = T0 + timedelta(seconds=60)
    await gateway.publish(
        ChargePointBooted(charge_point_id=cp, vendor="Acme", model="M", reason="Triggered"),
        at=marker,
        charge_point_id=cp,
    )
    status = await status_when(client, cp, lambda s: s["boot"] is not None)
    assert status["connection"] == {"connected": True, "ocpp_version": "2.1", "since": iso(T0 + timedelta(seconds=5))}
    assert status["firmware"] == {"status": "installed", "request_id": None, "at": iso(T0 + timedelta(seconds=20))}
    assert status["last_seen_at"] == iso(marker)  # an older stamp never moves last seen back
