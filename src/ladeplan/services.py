"""The processes of the stack: name, module to run and local port (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceProcess:
    name: str
    module: str
    port: int


SERVICES = (
    ServiceProcess("masterdata", "masterdata", 8081),
    ServiceProcess("session-manager", "session_manager", 8082),
    ServiceProcess("ocpp-gateway", "ocpp_gateway", 9000),
)

BY_NAME = {service.name: service for service in SERVICES}
