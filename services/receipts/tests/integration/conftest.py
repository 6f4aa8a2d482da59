"""receipts against the real PostgreSQL and RabbitMQ of the test run (root conftest).

One app per test module, on the module's own vhost (``module_amqp_url``): session-manager's
in-process app consumes ``transaction.*`` too and must not meet the events published here.
Tests stay apart by using random charge point ids, never by clearing tables. The events are
the ones the gateway and session-manager publish, built by :class:`Session`; the signed data
comes from the simulator's meter (a real P-256 key signing real OCMF records).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ladeplan.simulator.signing import SigningMeter
from ladeplan_contracts.envelope import Contract, new_envelope
from ladeplan_contracts.events import MeterValuesReported, SessionCompleted, TransactionEnded, TransactionStarted
from ladeplan_contracts.meter import MeterValue, SampledValue, SignedMeterValue
from ladeplan_contracts.receipts import ReceiptIssued
from ladeplan_platform.bus import EventPublisher, make_broker
from receipts.app import create_app
from receipts.config import SCHEMA, Settings
from tests.support import polling
from tests.support.bus import EventTap, tap_events

OPERATOR_KEY = "test-operator-key"
AUTH = {"Authorization": f"Bearer {OPERATOR_KEY}"}
Eventually = Callable[..., Awaitable[Any]]
Publish = Callable[..., Awaitable[str]]


@pytest.fixture(scope="module")
def auth() -> dict[str, str]:
    return AUTH


@pytest.fixture(scope="module")
def settings(database_url: str, module_amqp_url: str) -> Settings:
    return Settings(database_url=database_url, amqp_url=module_amqp_url, operator_api_keys=OPERATOR_KEY)


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    app = await create_app(settings)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
async def publish(client: TestClient[Any, Any], settings: Settings) -> AsyncIterator[Publish]:
    """Publish a contract event the way the gateway and session-manager do; returns its message id."""
    broker = make_broker(settings, "receipts-tests")
    await broker.connect()
    publisher = EventPublisher(broker)

    async def send(body: Contract, *, message_id: str | None = None) -> str:
        envelope = new_envelope(body, message_id=message_id, charge_point_id=getattr(body, "charge_point_id", None))
        await publisher.publish(envelope)
        return envelope.message_id

    yield send
    await broker.stop()


@pytest.fixture(scope="module")
async def issued(client: TestClient[Any, Any], settings: Settings) -> AsyncIterator[EventTap]:
    """``receipt.issued`` as a consumer sees it; bound after the app declared ``ladeplan.events``."""
    async with tap_events(settings.amqp_url, ReceiptIssued.TYPE) as tap:
        yield tap


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2, server_settings={"search_path": SCHEMA})
    assert pool is not None
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
def eventually() -> Eventually:
    """Poll ``check`` until it returns something truthy (consumers work asynchronously)."""
    return polling.eventually


@dataclass
class Session:
    """One transaction's events as the gateway (values, end) and session-manager (start, completion) send them."""

    charge_point_id: str = field(default_factory=lambda: f"CP-{uuid.uuid4().hex[:10]}")
    transaction_ref: str = field(default_factory=lambda: str(uuid.uuid4().int % 2_000_000_000))
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    token: str = "04A1B2C3D4"
    evse_id: int = 1
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def started(self) -> TransactionStarted:
        return TransactionStarted(
            session_id=self.session_id,
            charge_point_id=self.charge_point_id,
            evse_id=self.evse_id,
            connector_id=1,
            transaction_ref=self.transaction_ref,
            token_uid=self.token,
            authorization_status="Accepted",
            started_at=self.started_at,
            meter_start_wh=10_000,
        )

    def values(self, *samples: SampledValue, evse_id: int | None = None) -> MeterValuesReported:
        return MeterValuesReported(
            charge_point_id=self.charge_point_id,
            evse_id=self.evse_id if evse_id is None else evse_id,
            connector_id=1,
            transaction_ref=self.transaction_ref,
            meter_values=[MeterValue(timestamp=datetime.now(UTC), sampled_values=list(samples))],
            ocpp_message_id=uuid.uuid4().hex,
        )

    def ended(self, *samples: SampledValue) -> TransactionEnded:
        meter_values = [MeterValue(timestamp=datetime.now(UTC), sampled_values=list(samples))] if samples else []
        return TransactionEnded(
            charge_point_id=self.charge_point_id,
            transaction_ref=self.transaction_ref,
            stopped_at=self.started_at + timedelta(minutes=30),
            meter_stop_wh=17_250,
            reason="Local",
            meter_values=meter_values,
            ocpp_message_id=uuid.uuid4().hex,
        )

    def completed(self) -> SessionCompleted:
        return SessionCompleted(
            session_id=self.session_id,
            charge_point_id=self.charge_point_id,
            evse_id=self.evse_id,
            connector_id=1,
            transaction_ref=self.transaction_ref,
            token_uid=self.token,
            user_id="user-1",
            started_at=self.started_at,
            ended_at=self.started_at + timedelta(minutes=30),
            energy_wh=7_250,
            stop_reason="Local",
        )

    @staticmethod
    def signed_16(record: str, context: str) -> SampledValue:
        """A 1.6 ``SignedData`` value as the gateway maps it (the data is the value)."""
        return SampledValue(
            value=record,
            context=context,
            format="SignedData",
            signed=SignedMeterValue(signed_meter_data=record),
        )

    @staticmethod
    def signed_201(
        meter: SigningMeter, record: str, energy_wh: int, context: str, *, with_key: bool = True
    ) -> SampledValue:
        """A 2.0.1 value with ``signedMeterValue`` as the gateway maps it."""
        signed = meter.signed_meter_value(record, with_key=with_key)
        return SampledValue(
            value=str(energy_wh),
            unit="Wh",
            context=context,
            format="SignedData",
            signed=SignedMeterValue(
                signed_meter_data=signed["signed_meter_data"],
                signing_method=signed["signing_method"],
                encoding_method=signed["encoding_method"],
                public_key=signed["public_key"],
            ),
        )


@pytest.fixture
def session() -> Session:
    return Session()


@pytest.fixture
def new_session() -> Callable[..., Session]:
    """Another session (e.g. the next one of the same charge point)."""
    return Session


@pytest.fixture
def meter() -> SigningMeter:
    return SigningMeter(serial=f"MTR-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="module")
def receipt_of(client: TestClient[Any, Any], eventually: Eventually) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Wait for a session's receipt (of at least ``version``) and return it from the API."""

    async def fetch(session_id: str, version: int = 1) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            response = await client.get(f"/api/v1/receipts/{session_id}", headers=AUTH)
            if response.status != 200:
                return None
            body: dict[str, Any] = await response.json()
            return body if body["version"] >= version else None

        result: dict[str, Any] = await eventually(check)
        return result

    return fetch
