"""Typed application state, shared by the composition root (which fills it) and the views (which read it)."""

from __future__ import annotations

import asyncpg
from aiohttp import web
from faststream.rabbit import RabbitBroker

from ems_adapter.config import Settings
from ems_adapter.use_cases.external import ExternalEms
from ems_adapter.use_cases.oscp import Oscp
from ems_adapter.use_cases.queries import PlanQueries
from ems_adapter.use_cases.replanner import Replanner

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
BROKER = web.AppKey("broker", RabbitBroker)
REPLANNER = web.AppKey("replanner", Replanner)
QUERIES = web.AppKey("queries", PlanQueries)
OSCP = web.AppKey("oscp", Oscp)  # only when OSCP_GROUPS is set
EXTERNAL = web.AppKey("external", ExternalEms)
