"""Composition root: settings -> pool -> broker (consumers, outbox relay) -> use cases -> views.

Nothing connects at import time or in :func:`create_app`; connections open in ``cleanup_ctx``
when the app starts and close in reverse order when it stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from ladeplan_platform.bus import declare_topology, make_broker
from ladeplan_platform.db import create_pool
from ladeplan_platform.http import error_middleware, health_handler, json_response, operator_auth_middleware
from ladeplan_platform.outbox import OutboxRelay
from receipts.config import SCHEMA, SERVICE, Settings
from receipts.handlers.api import OPENAPI_PATH, api
from receipts.handlers.bus import register_bus_handlers
from receipts.state import BROKER, METER_KEYS, POOL, QUERIES, SESSIONS, SETTINGS
from receipts.use_cases.capture import Capture
from receipts.use_cases.issuing import Issuing
from receipts.use_cases.meter_keys import MeterKeys
from receipts.use_cases.queries import ReceiptQueries
from receipts.use_cases.sessions import SessionEvents


async def create_app(settings: Settings | None = None) -> web.Application:
    """The receipts app; ``settings`` default to the environment."""
    settings = settings or Settings()
    app = web.Application(
        middlewares=[error_middleware, operator_auth_middleware(settings.operator_keys, public_paths=[OPENAPI_PATH])]
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([_database, _bus])
    app.add_routes(api.routes)
    openapi = api.openapi()

    async def openapi_document(_: web.Request) -> web.Response:
        return json_response(openapi)

    async def database_answers() -> None:
        await app[POOL].fetchval("SELECT 1")

    async def bus_answers() -> None:
        if not await app[BROKER].ping(timeout=2.0):
            raise ConnectionError("RabbitMQ connection is down")

    app.router.add_get(OPENAPI_PATH, openapi_document)
    app.router.add_get("/health", health_handler({"database": database_answers, "bus": bus_answers}))
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
    await broker.start()
    relay.start()
    app[BROKER] = broker
    app[SESSIONS] = sessions
    try:
        yield
    finally:
        await relay.stop()
        await broker.stop()
