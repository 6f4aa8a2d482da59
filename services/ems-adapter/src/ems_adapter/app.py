"""Composition root: settings -> pool -> commands -> planning, replanner -> broker (consumers, outbox) -> views.

Nothing connects at import time or in :func:`create_app`; connections open in ``cleanup_ctx``
when the app starts and close in reverse order when it stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from faststream.rabbit import ExchangeType, RabbitExchange

from ems_adapter import repository as repo
from ems_adapter.config import SCHEMA, SERVICE, Settings
from ems_adapter.handlers.api import api
from ems_adapter.handlers.bus import bind_transaction_events, register_bus_handlers
from ems_adapter.handlers.oscp import routes as oscp_routes
from ems_adapter.oscp_client import OscpClient
from ems_adapter.state import BROKER, EXTERNAL, OSCP, POOL, QUERIES, REPLANNER, SETTINGS
from ems_adapter.use_cases.demand import Demand
from ems_adapter.use_cases.external import ExternalEms
from ems_adapter.use_cases.oscp import Oscp
from ems_adapter.use_cases.planning import Planning
from ems_adapter.use_cases.queries import PlanQueries
from ems_adapter.use_cases.readback import ReadBack
from ems_adapter.use_cases.replanner import Replanner
from ems_adapter.use_cases.sources import PlanSources
from ladeplan_contracts.names import COMMANDS_EXCHANGE
from ladeplan_platform.bus import declare_topology, make_broker
from ladeplan_platform.commands import CommandClient
from ladeplan_platform.db import create_pool
from ladeplan_platform.http import add_dependency_health, operator_api_app
from ladeplan_platform.outbox import OutboxRelay
from ladeplan_platform.rpc import RpcClient

# Declared the same way by the gateway; whoever starts first creates it, so a profile sent before
# any gateway ran comes back unroutable ("offline") and is sent again on the next replan.
COMMANDS = RabbitExchange(COMMANDS_EXCHANGE, type=ExchangeType.DIRECT, durable=True)


async def create_app(settings: Settings | None = None) -> web.Application:
    """The ems-adapter app; ``settings`` default to the environment."""
    settings = settings or Settings()
    app = operator_api_app(api, settings.operator_keys)
    if settings.oscp_enabled:
        app.add_routes(oscp_routes)  # authenticated by OSCP tokens, not operator keys (not under /api/)
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([_database, _planning])
    add_dependency_health(app, pool=lambda: app[POOL], broker=lambda: app[BROKER])
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    pool = await create_pool(app[SETTINGS], SCHEMA)
    app[POOL] = pool
    app[QUERIES] = PlanQueries(pool)
    try:
        yield
    finally:
        await pool.close()


async def _planning(app: web.Application) -> AsyncIterator[None]:
    """Command client, replanner, then consumers and the outbox relay; stopped in reverse order.

    Consumers stop first (no new replan requests), then the replanner (no new profiles or outbox
    rows), then the relay and the command client.
    """
    settings, pool = app[SETTINGS], app[POOL]
    rpc = RpcClient(settings.amqp_url)
    await rpc.start()
    broker = make_broker(settings, SERVICE)
    relay = OutboxRelay(pool, broker)
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.oscp_request_timeout_s))

    def request_replan(location_id: str) -> None:  # the replanner needs planning, which needs the link first
        replanner.request(location_id)

    oscp = Oscp(pool, OscpClient(http), settings, request_replan) if settings.oscp_enabled else None
    sources = PlanSources(settings, settings.tariff, oscp)
    commands = CommandClient(rpc)
    readback = ReadBack(pool, commands, timeout_s=settings.command_timeout_s)
    planning = Planning(
        pool,
        commands,
        settings.tariff,
        on_commit=relay.wake,
        command_timeout_s=settings.command_timeout_s,
        slot_seconds=settings.ems_slot_seconds,
        sources=sources,
        forecast_history_days=settings.ems_forecast_history_days,
        readback=readback,
    )

    async def locations_with_sessions() -> list[str]:
        async with pool.acquire() as conn:
            return await repo.locations_with_sessions(conn)

    replanner = Replanner(planning.replan, locations_with_sessions, interval_s=settings.ems_replan_interval_s)
    register_bus_handlers(broker, Demand(pool, replanner.request))
    app[EXTERNAL] = ExternalEms(pool, settings, sources, replanner.request)
    await broker.connect()
    await declare_topology(broker)
    await bind_transaction_events(broker)
    await broker.declare_exchange(COMMANDS)
    relay.start()
    replanner.start()
    if oscp is not None:
        await oscp.start()
        app[OSCP] = oscp
    await broker.start()
    app[BROKER] = broker
    app[REPLANNER] = replanner
    # After a restart, plans may be stale by up to the outage: replan every location with sessions now.
    for location_id in await locations_with_sessions():
        replanner.request(location_id)
    try:
        yield
    finally:
        await broker.stop()
        if oscp is not None:
            await oscp.stop()
        await replanner.stop()
        await readback.stop()  # after the replanner: no replan starts new checks any more
        await relay.stop()
        await rpc.close()
        await http.close()
