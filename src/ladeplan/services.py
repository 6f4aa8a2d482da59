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
    ServiceProcess("receipts", "receipts", 8083),
    ServiceProcess("ems-adapter", "ems_adapter", 8085),
)

BY_NAME = {service.name: service for service in SERVICES}


def with_gateways(count: int, services: tuple[ServiceProcess, ...] = SERVICES) -> tuple[ServiceProcess, ...]:
    """The stack with ``count`` gateway nodes side by side: ocpp-gateway on 9000, then 9001, 9002, ..."""
    gateway = BY_NAME["ocpp-gateway"]
    extra = tuple(
        ServiceProcess(f"{gateway.name}-{n + 1}", gateway.module, gateway.port + n) for n in range(1, max(count, 1))
    )
    return services + extra
