"""Composition root of ocpp-gateway: settings → pool → bus → gateway → routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import ocpp.messages
from aiohttp import web

from ladeplan_platform.bus import declare_topology, make_broker
from ladeplan_platform.db import create_pool
from ladeplan_platform.http import health_handler
from ladeplan_platform.publisher import ConfirmedPublisher
from ladeplan_platform.rpc import RpcClient
from ocpp_gateway.commands import CommandRouter
from ocpp_gateway.config import SCHEMA, SERVICE, Settings
from ocpp_gateway.handshake import HandshakeGuard
from ocpp_gateway.last_seen import LastSeen
from ocpp_gateway.registry import Registry
from ocpp_gateway.repository import PresenceRepository
from ocpp_gateway.takeover import Takeover
from ocpp_gateway.upstream import BusUpstream
from ocpp_gateway.websocket import Gateway

GATEWAY = web.AppKey("gateway", Gateway)


async def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    # Schema validation (~120 µs a frame) is cheaper inline than a thread-pool hop per frame.
    ocpp.messages.ASYNC_VALIDATION = False
    app = web.Application()

    async def resources(app: web.Application) -> AsyncIterator[None]:
        pool = await create_pool(settings, SCHEMA)
        broker = make_broker(settings, SERVICE)
        await broker.start()
        await declare_topology(broker)
        rpc = RpcClient(settings.amqp_url)
        await rpc.start()
        registry = Registry()
        presence = PresenceRepository(pool)
        takeover = Takeover(settings.amqp_url, settings.node_id, registry, presence)
        await takeover.start()
        commands = CommandRouter(settings.amqp_url, takeover)
        await commands.start()
        # Straight through aio-pika: every transaction frame waits for its event's confirm, and
        # faststream's publish path costs more per message (ladeplan_platform.publisher).
        publisher = ConfirmedPublisher(settings.amqp_url, app_id=SERVICE)
        await publisher.start()
        upstream = BusUpstream(
            publisher,
            rpc,
            decision_timeout_s=settings.decision_timeout_s,
            publish_timeout_s=settings.publish_timeout_s,
        )
        gateway = Gateway(settings, upstream, HandshakeGuard(settings, rpc), commands, presence, registry)
        app[GATEWAY] = gateway
        last_seen = LastSeen(
            registry, presence, publisher, node_id=settings.node_id, interval_s=settings.last_seen_flush_s
        )
        last_seen.start()

        async def check_db() -> None:
            await pool.fetchval("SELECT 1")

        async def check_bus() -> None:
            if not await broker.ping(timeout=2):
                raise ConnectionError("RabbitMQ does not answer")
            await publisher.check()

        app.router.add_get("/health", health_handler({"database": check_db, "bus": check_bus}))
        yield
        await last_seen.stop()
        await gateway.close_all()
        await commands.close()
        await takeover.close()
        await rpc.close()
        await publisher.close()
        await broker.stop()
        await pool.close()

    async def ocpp_endpoint(request: web.Request) -> web.StreamResponse:
        return await request.app[GATEWAY].handle(request)

    app.cleanup_ctx.append(resources)
    app.router.add_get("/ocpp/{charge_point_id}", ocpp_endpoint)
    return app
