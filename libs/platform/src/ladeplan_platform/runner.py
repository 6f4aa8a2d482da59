"""Process entry: logs and traces first, then the aiohttp app on its port until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import os
import ssl
from collections.abc import Awaitable, Callable

from aiohttp import web

from ladeplan_platform.logging import configure_logging
from ladeplan_platform.tracing import configure_tracing

# The cyclic garbage collector's thresholds for a process serving streams of short-lived messages.
# With CPython's (700, 10, 10) a young collection ran every few dozen messages, so the objects of
# every message still awaiting its broker confirm or its turn survived two of them and reached the
# oldest generation, and full collections of the whole heap followed about once a second (~0.2 s
# each with 1,000 charge points held): in the gateway at 2,000 msg/s offered the collector took
# ~30% of a core (docs/benchmarks.md). Collecting the young generation every 50,000 allocations
# lets a message's objects die first; garbage in cycles still goes, just in larger batches.
GC_THRESHOLDS = (50_000, 20, 10)


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
    gc.set_threshold(*GC_THRESHOLDS)
    port = int(os.environ.get("PORT", default_port))
    host = os.environ.get("HOST", "0.0.0.0")
    try:
        context = ssl_context() if ssl_context is not None else None
        # Heroku gives 30 s between SIGTERM and SIGKILL; finish in-flight work well within that.
        web.run_app(
            _with_frozen_heap(app_factory),
            host=host,
            port=port,
            access_log=None,
            print=None,
            shutdown_timeout=10,
            ssl_context=context,
        )
    finally:
        provider.shutdown()


async def _with_frozen_heap(app_factory: Callable[[], Awaitable[web.Application]]) -> web.Application:
    """The app, with a last start-up hook that freezes the heap as it is then (code, schemas, pools).

    ``gc.freeze`` keeps those objects out of every later collection: a full collection then walks
    what the service holds for its clients, not the ~150,000 objects that live as long as it does.
    """
    app = await app_factory()

    async def freeze(_: web.Application) -> None:
        gc.collect()
        gc.freeze()

    # After the app's own start-up hooks (aiohttp runs cleanup contexts as the first start-up hook).
    app.on_startup.append(freeze)
    return app


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
