"""Typed application state, shared by the composition root (which fills it) and the views (which read it)."""

from __future__ import annotations

import asyncpg
from aiohttp import web
from faststream.rabbit import RabbitBroker

from receipts.config import Settings
from receipts.use_cases.meter_keys import MeterKeys
from receipts.use_cases.queries import ReceiptQueries
from receipts.use_cases.sessions import SessionEvents

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
BROKER = web.AppKey("broker", RabbitBroker)
QUERIES = web.AppKey("queries", ReceiptQueries)
METER_KEYS = web.AppKey("meter_keys", MeterKeys)
SESSIONS = web.AppKey("sessions", SessionEvents)
