"""OCPP 2.x device model reports as events: variables (NotifyReport), monitors and monitoring events.

A large report arrives as several messages with the same ``request_id`` and rising ``seq_no``;
``more_to_follow`` is false on the last one. Values keep the charge point's text.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from ladeplan_contracts.envelope import Contract

_MODEL = ConfigDict(extra="forbid", frozen=True)


class Component(BaseModel):
    model_config = _MODEL

    name: str
    instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None


class Variable(BaseModel):
    model_config = _MODEL

    name: str
    instance: str | None = None


class VariableAttribute(BaseModel):
    model_config = _MODEL

    type: str = "actual"
    """actual, target, min_set or max_set."""
    value: str | None = None
    mutability: str | None = None
    """read_only, write_only or read_write."""
    persistent: bool | None = None
    constant: bool | None = None


class VariableCharacteristics(BaseModel):
    model_config = _MODEL

    data_type: str
    unit: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str | None = None
    supports_monitoring: bool


class ReportedVariable(BaseModel):
    model_config = _MODEL

    component: Component
    variable: Variable
    attributes: list[VariableAttribute]
    characteristics: VariableCharacteristics | None = None


class DeviceReportReceived(Contract):
    """One part of a device model report (NotifyReport), e.g. the answer to a ``get_base_report`` command."""

    TYPE = "chargepoint.device_report.received"
    charge_point_id: str
    request_id: int
    seq_no: int
    generated_at: datetime
    more_to_follow: bool
    variables: list[ReportedVariable]


class DeviceEvent(BaseModel):
    """A monitored variable crossed a threshold, changed, or reported periodically (NotifyEvent ``eventData``)."""

    model_config = _MODEL

    event_id: int
    timestamp: datetime
    trigger: str
    """alerting, delta or periodic."""
    actual_value: str
    component: Component
    variable: Variable
    notification_type: str
    """hard_wired_notification, hard_wired_monitor, preconfigured_monitor or custom_monitor."""
    cause: int | None = None
    tech_code: str | None = None
    tech_info: str | None = None
    cleared: bool | None = None
    transaction_ref: str | None = None
    monitor_id: int | None = None
    severity: int | None = None
    """2.1 only: 0 (danger) to 9 (debug)."""


class DeviceEventsNotified(Contract):
    TYPE = "chargepoint.device_events.notified"
    charge_point_id: str
    generated_at: datetime
    seq_no: int
    more_to_follow: bool
    events: list[DeviceEvent]


class Monitor(BaseModel):
    model_config = _MODEL

    id: int
    type: str
    """upper_threshold, lower_threshold, delta, periodic, periodic_clock_aligned (2.1 adds target_delta...)."""
    value: float
    severity: int
    transaction: bool


class MonitoredVariable(BaseModel):
    model_config = _MODEL

    component: Component
    variable: Variable
    monitors: list[Monitor]


class MonitoringReportReceived(Contract):
    """One part of a monitoring report (NotifyMonitoringReport)."""

    TYPE = "chargepoint.monitoring_report.received"
    charge_point_id: str
    request_id: int
    seq_no: int
    generated_at: datetime
    more_to_follow: bool
    monitored: list[MonitoredVariable]
