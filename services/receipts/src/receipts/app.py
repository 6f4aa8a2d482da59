"""Composition root: settings -> pool -> broker (consumers, outbox relay) -> use cases -> views.

Nothing connects at import time or in :func:`create_app`; connections open in ``cleanup_ctx``
when the app starts and close in reverse order when it stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from ladeplan_platform.bus import declare_topology, make_broker
from ladeplan_platform.db import create_pool
from ladeplan_platform.http import add_dependency_health, operator_api_app
from ladeplan_platform.outbox import OutboxRelay
from receipts.config import SCHEMA, SERVICE, Settings
from receipts.handlers.api import api
from receipts.handlers.bus import bind_transaction_events, register_bus_handlers
from receipts.state import BROKER, METER_KEYS, POOL, QUERIES, SESSIONS, SETTINGS
from receipts.use_cases.capture import Capture
from receipts.use_cases.issuing import Issuing
from receipts.use_cases.meter_keys import MeterKeys
from receipts.use_cases.queries import ReceiptQueries
from receipts.use_cases.sessions import SessionEvents


async def create_app(settings: Settings | None = None) -> web.Application:
    """The receipts app; ``settings`` default to the environment."""
    settings = settings or Settings()
    app = operator_api_app(api, settings.operator_keys)
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([_database, _bus])
    add_dependency_health(app, pool=lambda: app[POOL], broker=lambda: app[BROKER])
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    pool = await create_pool(app[SETTINGS], SCHEMA)
    app[POOL] = pool
    app[QUERIES] = ReceiptQueries(pool)
    app[METER_KEYS] = MeterKeys(pool)
    try:
        yield
    finally:
        await pool.close()


async def _bus(app: web.Application) -> AsyncIterator[None]:
    """Consumers, then the outbox relay that publishes ``receipt.issued``.

    The relay stops first, so that it never publishes into a closed broker.
    """
    settings, pool = app[SETTINGS], app[POOL]
    broker = make_broker(settings, SERVICE)
    relay = OutboxRelay(pool, broker)
    issuing = Issuing(retention=settings.retention)
    capture = Capture(pool, issuing, retention=settings.retention, on_commit=relay.wake)
    sessions = SessionEvents(pool, issuing, on_commit=relay.wake)
    register_bus_handlers(broker, capture, sessions)
    await broker.connect()
    await declare_topology(broker)
    await bind_transaction_events(broker)
    await broker.start()
    relay.start()
    app[BROKER] = broker
    app[SESSIONS] = sessions
    try:
        yield
    finally:
        await relay.stop()
        await broker.stop()
