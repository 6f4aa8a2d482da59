"""PostgreSQL access: one asyncpg pool per service, its ``search_path`` pinned to the service's schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from opentelemetry import trace

from ladeplan_platform.settings import ServiceSettings

_tracer = trace.get_tracer("ladeplan.db")


async def create_pool(settings: ServiceSettings, schema: str) -> asyncpg.Pool:
    """A pool whose unqualified table names resolve inside ``schema`` only."""
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=1,
        max_size=settings.db_pool_max_size,
        statement_cache_size=settings.db_statement_cache_size,
        server_settings={"search_path": schema, "application_name": schema},
    )
    assert pool is not None
    return pool


@asynccontextmanager
async def transaction(pool: asyncpg.Pool, name: str) -> AsyncIterator[asyncpg.Connection]:
    """A database transaction wrapped in a span, so traces reach the commit."""
    with _tracer.start_as_current_span(f"db {name}", kind=trace.SpanKind.CLIENT) as span:
        span.set_attribute("db.system", "postgresql")
        async with pool.acquire() as conn, conn.transaction():
            yield conn
