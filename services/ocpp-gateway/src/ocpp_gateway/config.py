"""Settings of ocpp-gateway; the environment names are shared with compose and Heroku (docs/configuration.md)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ladeplan_platform.migrations import MigrationSet
from ladeplan_platform.settings import ServiceSettings

SERVICE = "ocpp-gateway"
SCHEMA = "gateway"
DEFAULT_PORT = 9000
MIGRATIONS = MigrationSet(SCHEMA, Path(__file__).resolve().parents[2] / "migrations")

SecurityProfile = Literal[1, 2, 3]


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
    # Last-seen stamps are kept in memory and written/published in one batch per interval (last_seen.py).
    last_seen_flush_s: float = Field(default=30.0, gt=0, validation_alias="GATEWAY_LAST_SEEN_FLUSH_S")

    # TLS terminated by the gateway itself (security profiles 2 and 3). Without a certificate the
    # gateway speaks plain ws:// and TLS, if any, is terminated in front of it (Heroku's router).
    tls_cert_file: Path | None = Field(default=None, validation_alias="GATEWAY_TLS_CERT_FILE")
    tls_key_file: Path | None = Field(default=None, validation_alias="GATEWAY_TLS_KEY_FILE")
    # CA bundle that issues the charge points' client certificates (security profile 3).
    tls_client_ca_file: Path | None = Field(default=None, validation_alias="GATEWAY_TLS_CLIENT_CA_FILE")
    # When the client CA is shared with other operators (e.g. a V2G root), the certificate's subject O
    # must name us as well, or another operator's charge point with the same serial could connect.
    tls_client_organization: str | None = Field(default=None, validation_alias="GATEWAY_TLS_CLIENT_ORGANIZATION")
    # Derived when unset: 3 with a client CA, 2 with a certificate, else 1. Set 2 explicitly together
    # with a client CA to accept either a client certificate or Basic auth (charge points migrating).
    security_profile: SecurityProfile | None = Field(default=None, validation_alias="GATEWAY_SECURITY_PROFILE")

    @field_validator(
        "tls_cert_file",
        "tls_key_file",
        "tls_client_ca_file",
        "tls_client_organization",
        "security_profile",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object, info: ValidationInfo) -> object:
        # docker-compose and Heroku config often carry a variable set to "" to mean "not configured".
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if info.field_name == "security_profile" and value.isdigit():  # env text; a Literal does not coerce it
                return int(value)
        return value

    @model_validator(mode="after")
    def _consistent_security(self) -> Settings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("GATEWAY_TLS_CERT_FILE and GATEWAY_TLS_KEY_FILE are set together")
        terminates_tls = self.tls_cert_file is not None
        if self.tls_client_ca_file is not None and not terminates_tls:
            raise ValueError("GATEWAY_TLS_CLIENT_CA_FILE needs the gateway to terminate TLS (GATEWAY_TLS_CERT_FILE)")
        if self.tls_client_organization is not None and self.tls_client_ca_file is None:
            raise ValueError(
                "GATEWAY_TLS_CLIENT_ORGANIZATION checks client certificates: set GATEWAY_TLS_CLIENT_CA_FILE"
            )
        if self.security_profile is None:
            self.security_profile = 3 if self.tls_client_ca_file else 2 if terminates_tls else 1
        if self.security_profile == 1 and terminates_tls:
            raise ValueError("security profile 1 is plain ws://; drop the certificate or choose profile 2 or 3")
        if self.security_profile == 3 and self.tls_client_ca_file is None:
            raise ValueError("security profile 3 needs GATEWAY_TLS_CLIENT_CA_FILE (client certificates)")
        return self

    @property
    def profile(self) -> SecurityProfile:
        """The security profile in force (derived by the validator, so never None after construction)."""
        assert self.security_profile is not None
        return self.security_profile
