"""Typed application state, shared by the composition root (which fills it) and the views (which read it)."""

from __future__ import annotations

import asyncpg
from aiohttp import web
from faststream.rabbit import RabbitBroker

from session_manager.config import Settings
from session_manager.use_cases.queries import SessionQueries
from session_manager.use_cases.remote_control import RemoteControl

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
BROKER = web.AppKey("broker", RabbitBroker)
QUERIES = web.AppKey("queries", SessionQueries)
REMOTE_CONTROL = web.AppKey("remote_control", RemoteControl)
