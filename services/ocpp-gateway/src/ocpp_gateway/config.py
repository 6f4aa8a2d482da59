"""Settings of ocpp-gateway; the environment names are shared with compose and Heroku (docs/configuration.md)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import Field

from ladeplan_platform.migrations import MigrationSet
from ladeplan_platform.settings import ServiceSettings

SERVICE = "ocpp-gateway"
SCHEMA = "gateway"
DEFAULT_PORT = 9000
MIGRATIONS = MigrationSet(SCHEMA, Path(__file__).resolve().parents[2] / "migrations")


def _default_node_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Settings(ServiceSettings):
    node_id: str = Field(default_factory=_default_node_id, validation_alias="GATEWAY_NODE_ID")
    # Heroku's router cuts a websocket after 55 s of silence; a ping every 20 s keeps it open.
    ping_interval_s: float = Field(default=20.0, validation_alias="GATEWAY_PING_INTERVAL_S")
    heartbeat_interval_s: int = Field(default=300, validation_alias="GATEWAY_HEARTBEAT_INTERVAL_S")
    # How long the gateway waits for session-manager to decide an authorisation or a start.
    decision_timeout_s: float = Field(default=10.0, validation_alias="GATEWAY_DECISION_TIMEOUT_S")
    # How long a publish may wait for the broker's confirm before the CALL is answered with an error.
    publish_timeout_s: float = Field(default=10.0, validation_alias="GATEWAY_PUBLISH_TIMEOUT_S")
    max_frame_bytes: int = Field(default=256 * 1024, validation_alias="GATEWAY_MAX_FRAME_BYTES")
