"""Composition root: settings -> PostgreSQL pool -> RabbitMQ broker (RPC server, status consumer), outbox
relay -> command client -> API.

Nothing connects at import time: :func:`create_app` only wires, and the connections open in
``cleanup_ctx`` when the app starts and close, in reverse order, when it stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import structlog
from aiohttp import web
from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange

from ladeplan_contracts.names import COMMANDS_EXCHANGE
from ladeplan_platform.bus import declare_topology, make_broker
from ladeplan_platform.commands import CommandClient
from ladeplan_platform.db import create_pool
from ladeplan_platform.http import OPENAPI_PATH, error_middleware, health_handler, operator_auth_middleware
from ladeplan_platform.outbox import OutboxRelay
from ladeplan_platform.rpc import RpcClient
from masterdata.authentication import ChargePointAuthenticator
from masterdata.config import SCHEMA, SERVICE, Settings
from masterdata.handlers.api import MASTERDATA, STATUS, api, domain_errors, openapi
from masterdata.handlers.bus import register_rpc
from masterdata.handlers.commands_api import COMMAND_TIMEOUT_S, COMMANDS
from masterdata.handlers.events import register_status_consumer
from masterdata.handlers.password_api import ROTATION, ROTATION_TIMEOUT_S
from masterdata.rotation import PasswordRotation
from masterdata.status_projection import StatusProjection
from masterdata.use_cases import MasterData

log = structlog.get_logger("masterdata.app")

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
BROKER = web.AppKey("broker", RabbitBroker)
AUTHENTICATOR = web.AppKey("authenticator", ChargePointAuthenticator)

# Declared the same way by the gateway and session-manager; whoever starts first creates it, so a command
# sent before any gateway ran finds the exchange and comes back unroutable ("offline").
COMMANDS_EXCHANGE_DECLARATION = RabbitExchange(COMMANDS_EXCHANGE, type=ExchangeType.DIRECT, durable=True)

_HEALTH_TIMEOUT_S = 3.0


async def create_app(settings: Settings | None = None) -> web.Application:
    """The masterdata web application; pass ``settings`` to override the environment (tests)."""
    settings = settings or Settings()
    if not settings.operator_keys:
        # Fail closed: without keys every /api/ call is refused, which is safe but easy to miss.
        log.warning("masterdata.no_operator_keys", hint="set OPERATOR_API_KEYS to use the operator API")
    app = web.Application(
        middlewares=[
            error_middleware,
            operator_auth_middleware(settings.operator_keys, public_paths=[OPENAPI_PATH]),
            domain_errors,
        ]
    )
    app[SETTINGS] = settings
    app.add_routes(api.routes)
    app.router.add_get(OPENAPI_PATH, openapi)
    app.router.add_get("/health", health_handler({"database": _database_check(app), "bus": _bus_check(app)}))
    app[COMMAND_TIMEOUT_S] = settings.command_timeout_s
    app[ROTATION_TIMEOUT_S] = settings.command_timeout_s
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_bus)
    app.cleanup_ctx.append(_commands)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    pool = await create_pool(app[SETTINGS], SCHEMA)
    app[POOL] = pool
    app[STATUS] = StatusProjection(pool)
    log.info("masterdata.database_connected")
    try:
        yield
    finally:
        await pool.close()
        log.info("masterdata.database_closed")


async def _bus(app: web.Application) -> AsyncIterator[None]:
    """Broker with the RPC server, then the outbox relay; the use cases need both, so they come last."""
    pool = app[POOL]
    authenticator = await ChargePointAuthenticator.create(pool)
    broker = make_broker(app[SETTINGS], SERVICE)
    register_rpc(broker, authenticator)  # subscribers must exist before start() to be consumed
    register_status_consumer(broker, app[STATUS])
    relay = OutboxRelay(pool, broker)
    try:
        await broker.start()
        # The relay publishes to ladeplan.events, which must exist before the first event goes out.
        await declare_topology(broker)
        await broker.declare_exchange(COMMANDS_EXCHANGE_DECLARATION)
        relay.start()
        app[BROKER] = broker
        app[MASTERDATA] = MasterData(pool, relay, authenticator)
        app[AUTHENTICATOR] = authenticator
        log.info("masterdata.bus_connected")
        yield
    finally:
        # Relay before broker: a batch cut short stays unmarked and goes out again on the next start
        # (consumers deduplicate on the message id), instead of failing against a closed channel.
        await relay.stop()
        await broker.stop()
        log.info("masterdata.bus_closed")


async def _commands(app: web.Application) -> AsyncIterator[None]:
    """The RPC client that sends operator commands to charge points (after the bus declared the exchange)."""
    rpc = RpcClient(app[SETTINGS].amqp_url)
    await rpc.start()
    app[COMMANDS] = CommandClient(rpc)
    app[ROTATION] = PasswordRotation(app[POOL], app[AUTHENTICATOR], app[COMMANDS])
    try:
        yield
    finally:
        await rpc.close()


def _database_check(app: web.Application) -> Callable[[], Awaitable[None]]:
    async def check() -> None:
        await app[POOL].fetchval("SELECT 1", timeout=_HEALTH_TIMEOUT_S)

    return check


def _bus_check(app: web.Application) -> Callable[[], Awaitable[None]]:
    async def check() -> None:
        if not await app[BROKER].ping(timeout=_HEALTH_TIMEOUT_S):
            raise ConnectionError("RabbitMQ does not answer")

    return check
