"""OCPP 2.0.1/2.1 Smart Charging notifications: what the EV needs, external limits, reported profiles.

``NotifyEVChargingNeeds`` becomes the event an energy management system plans with; it is
answered Accepted, and whatever the EMS plans reaches the EV as a ``set_charging_profile`` command.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.routing import on
from ocpp.v201.enums import Action

from ladeplan_contracts.smart_charging import (
    ChargingLimitCleared,
    ChargingLimitNotified,
    ChargingProfilesReported,
    EvChargingScheduleNotified,
)
from ocpp_gateway.domain import charging_profiles, notifications
from ocpp_gateway.domain.notifications import snake
from ocpp_gateway.handlers.base import ChargePointSession


class V2SmartCharging(ChargePointSession):
    _call_result: Any

    @on(Action.notify_ev_charging_needs)
    async def on_notify_ev_charging_needs(
        self, evse_id: int, charging_needs: dict[str, Any], max_schedule_tuples: int | None = None, **_: Any
    ) -> Any:
        await self.upstream.publish(
            notifications.charging_needs(self.id, evse_id, charging_needs, max_schedule_tuples), self.id
        )
        return self._call_result.NotifyEVChargingNeeds(status="Accepted")

    @on(Action.notify_ev_charging_schedule)
    async def on_notify_ev_charging_schedule(
        self, time_base: str, charging_schedule: dict[str, Any], evse_id: int, **_: Any
    ) -> Any:
        await self.upstream.publish(
            EvChargingScheduleNotified(
                charge_point_id=self.id,
                evse_id=evse_id,
                time_base=datetime.fromisoformat(time_base),
                schedule=charging_profiles.schedule_from_v2(charging_schedule),
            ),
            self.id,
        )
        return self._call_result.NotifyEVChargingSchedule(status="Accepted")

    @on(Action.notify_charging_limit)
    async def on_notify_charging_limit(
        self,
        charging_limit: dict[str, Any],
        charging_schedule: list[dict[str, Any]] | None = None,
        evse_id: int | None = None,
        **_: Any,
    ) -> Any:
        await self.upstream.publish(
            ChargingLimitNotified(
                charge_point_id=self.id,
                evse_id=evse_id,
                source=snake(charging_limit["charging_limit_source"]),
                grid_critical=charging_limit.get("is_grid_critical"),
                schedules=[charging_profiles.schedule_from_v2(s) for s in charging_schedule or []],
            ),
            self.id,
        )
        return self._call_result.NotifyChargingLimit()

    @on(Action.cleared_charging_limit)
    async def on_cleared_charging_limit(self, charging_limit_source: str, evse_id: int | None = None, **_: Any) -> Any:
        await self.upstream.publish(
            ChargingLimitCleared(charge_point_id=self.id, evse_id=evse_id, source=snake(charging_limit_source)),
            self.id,
        )
        return self._call_result.ClearedChargingLimit()

    @on(Action.report_charging_profiles)
    async def on_report_charging_profiles(
        self,
        request_id: int,
        charging_limit_source: str,
        charging_profile: list[dict[str, Any]],
        evse_id: int,
        tbc: bool = False,
        **_: Any,
    ) -> Any:
        await self.upstream.publish(
            ChargingProfilesReported(
                charge_point_id=self.id,
                request_id=request_id,
                source=snake(charging_limit_source),
                evse_id=evse_id,
                more_to_follow=tbc,
                profiles=[charging_profiles.profile_from_v2(profile) for profile in charging_profile],
            ),
            self.id,
        )
        return self._call_result.ReportChargingProfiles()
