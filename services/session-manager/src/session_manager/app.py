"""Composition root: settings -> pool -> broker (consumers, RPC servers, outbox relay) -> command client -> views.

Nothing connects at import time or in :func:`create_app`; connections open in ``cleanup_ctx``
when the app starts and close in reverse order when it stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from faststream.rabbit import ExchangeType, RabbitExchange

from ladeplan_contracts.names import COMMANDS_EXCHANGE
from ladeplan_platform.bus import declare_topology, make_broker
from ladeplan_platform.commands import CommandClient
from ladeplan_platform.db import create_pool
from ladeplan_platform.http import add_dependency_health, operator_api_app
from ladeplan_platform.outbox import OutboxRelay
from ladeplan_platform.rpc import RpcClient
from session_manager.config import SCHEMA, SERVICE, Settings
from session_manager.handlers.api import api
from session_manager.handlers.bus import register_bus_handlers
from session_manager.state import BROKER, POOL, QUERIES, REMOTE_CONTROL, SETTINGS
from session_manager.use_cases.authorization import Authorization
from session_manager.use_cases.queries import SessionQueries
from session_manager.use_cases.remote_control import RemoteControl
from session_manager.use_cases.transactions import Transactions

# Declared the same way by the gateway; whoever starts first creates it, so a remote command
# published before any gateway ran finds the exchange and comes back unroutable ("offline").
COMMANDS = RabbitExchange(COMMANDS_EXCHANGE, type=ExchangeType.DIRECT, durable=True)


async def create_app(settings: Settings | None = None) -> web.Application:
    """The session-manager app; ``settings`` default to the environment."""
    settings = settings or Settings()
    app = operator_api_app(api, settings.operator_keys)
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([_database, _bus, _commands])
    add_dependency_health(app, pool=lambda: app[POOL], broker=lambda: app[BROKER])
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    pool = await create_pool(app[SETTINGS], SCHEMA)
    app[POOL] = pool
    app[QUERIES] = SessionQueries(pool)
    try:
        yield
    finally:
        await pool.close()


async def _bus(app: web.Application) -> AsyncIterator[None]:
    """Consumers and RPC servers, then the outbox relay.

    The transactions consumer stops first (its batch in hand commits and is acknowledged), then
    the relay, so that neither writes or publishes into something already closed.
    """
    pool = app[POOL]
    broker = make_broker(app[SETTINGS], SERVICE)
    relay = OutboxRelay(pool, broker)
    transactions = register_bus_handlers(
        broker,
        Authorization(pool),
        Transactions(
            pool,
            on_commit=relay.wake,
            energy_event_interval_s=app[SETTINGS].session_energy_event_interval_s,
        ),
        app[SETTINGS],
    )
    await broker.connect()
    await declare_topology(broker)
    await broker.declare_exchange(COMMANDS)
    await broker.start()
    await transactions.start()
    relay.start()
    app[BROKER] = broker
    try:
        yield
    finally:
        await transactions.close()
        await relay.stop()
        await broker.stop()


async def _commands(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    rpc = RpcClient(settings.amqp_url)
    await rpc.start()
    app[REMOTE_CONTROL] = RemoteControl(app[POOL], CommandClient(rpc), timeout_s=settings.command_timeout_s)
    try:
        yield
    finally:
        await rpc.close()
