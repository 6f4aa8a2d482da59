"""OCPP 2.x device model payloads (NotifyReport, NotifyEvent, NotifyMonitoringReport) to contract values.

Payloads arrive with snake_case keys (the ``ocpp`` package converts them) and 2.x numbers as
``Decimal``; values of variables are text in OCPP and stay text. Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ladeplan_contracts.device_model import (
    Component,
    DeviceEvent,
    Monitor,
    MonitoredVariable,
    ReportedVariable,
    Variable,
    VariableAttribute,
    VariableCharacteristics,
)
from ocpp_gateway.domain.notifications import number, snake


def component(raw: dict[str, Any]) -> Component:
    evse = raw.get("evse") or {}
    return Component(
        name=raw["name"], instance=raw.get("instance"), evse_id=evse.get("id"), connector_id=evse.get("connector_id")
    )


def variable(raw: dict[str, Any]) -> Variable:
    return Variable(name=raw["name"], instance=raw.get("instance"))


def _attribute(raw: dict[str, Any]) -> VariableAttribute:
    mutability = raw.get("mutability")
    return VariableAttribute(
        type=snake(raw.get("type", "Actual")),
        value=raw.get("value"),
        mutability=snake(mutability) if mutability else None,
        persistent=raw.get("persistent"),
        constant=raw.get("constant"),
    )


def _characteristics(raw: dict[str, Any] | None) -> VariableCharacteristics | None:
    if raw is None:
        return None
    return VariableCharacteristics(
        # Data types are already camelCase words in OCPP (dateTime, OptionList); snake_case them too.
        data_type=snake(raw["data_type"]),
        unit=raw.get("unit"),
        min_limit=number(raw.get("min_limit")),
        max_limit=number(raw.get("max_limit")),
        values_list=raw.get("values_list"),
        supports_monitoring=bool(raw["supports_monitoring"]),
    )


def report_data(items: list[dict[str, Any]]) -> list[ReportedVariable]:
    return [
        ReportedVariable(
            component=component(item["component"]),
            variable=variable(item["variable"]),
            attributes=[_attribute(attribute) for attribute in item["variable_attribute"]],
            characteristics=_characteristics(item.get("variable_characteristics")),
        )
        for item in items
    ]


def event_data(items: list[dict[str, Any]]) -> list[DeviceEvent]:
    return [
        DeviceEvent(
            event_id=item["event_id"],
            timestamp=datetime.fromisoformat(item["timestamp"]),
            trigger=snake(item["trigger"]),
            actual_value=item["actual_value"],
            component=component(item["component"]),
            variable=variable(item["variable"]),
            notification_type=snake(item["event_notification_type"]),
            cause=item.get("cause"),
            tech_code=item.get("tech_code"),
            tech_info=item.get("tech_info"),
            cleared=item.get("cleared"),
            transaction_ref=item.get("transaction_id"),
            monitor_id=item.get("variable_monitoring_id"),
            severity=item.get("severity"),
        )
        for item in items
    ]


def monitoring_data(items: list[dict[str, Any]]) -> list[MonitoredVariable]:
    return [
        MonitoredVariable(
            component=component(item["component"]),
            variable=variable(item["variable"]),
            monitors=[
                Monitor(
                    id=monitor["id"],
                    type=snake(monitor["type"]),
                    value=float(monitor["value"]),
                    severity=monitor["severity"],
                    transaction=monitor["transaction"],
                )
                for monitor in item["variable_monitoring"]
            ],
        )
        for item in items
    ]
