"""Process entry: logs and traces first, then the aiohttp app on its port until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Awaitable, Callable

from aiohttp import web

from ladeplan_platform.logging import configure_logging
from ladeplan_platform.tracing import configure_tracing


def run_service(
    service: str,
    app_factory: Callable[[], Awaitable[web.Application]],
    default_port: int,
    *,
    ssl_context: Callable[[], ssl.SSLContext | None] | None = None,
) -> None:
    """Run a service; ``PORT`` (Heroku) overrides the local default port.

    ``ssl_context`` builds the TLS context of a service that terminates TLS itself (the OCPP gateway),
    after logging is configured and before the port opens.
    """
    configure_logging(service)
    provider = configure_tracing(service)
    port = int(os.environ.get("PORT", default_port))
    host = os.environ.get("HOST", "0.0.0.0")
    try:
        context = ssl_context() if ssl_context is not None else None
        # Heroku gives 30 s between SIGTERM and SIGKILL; finish in-flight work well within that.
        web.run_app(
            app_factory(),
            host=host,
            port=port,
            access_log=None,
            print=None,
            shutdown_timeout=10,
            ssl_context=context,
        )
    finally:
        provider.shutdown()


async def wait_for(check: Callable[[], Awaitable[object]], *, attempts: int = 30, delay: float = 1.0) -> None:
    """Retry ``check`` until it succeeds (dependencies starting in parallel with us)."""
    for attempt in range(attempts):
        try:
            await check()
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(delay)
