"""Simulated charge points (1.6, 2.0.1 and 2.1) that answer the CSMS's commands like real ones.

The commands beyond remote start/stop and charging profiles, and the notifications a station sends
on its own, live in ``station16.py`` and ``station2.py``/``station2_notify.py``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint as V16ChargePoint
from ocpp.v16 import call as v16_call
from ocpp.v16 import call_result as v16_result
from ocpp.v16.enums import Action as V16Action
from ocpp.v21 import call as v21_call
from ocpp.v21 import call_result as v21_result
from ocpp.v201 import ChargePoint as V201ChargePoint
from ocpp.v201 import call as v201_call
from ocpp.v201 import call_result as v201_result
from ocpp.v201.enums import Action as V201Action

from ladeplan.simulator.smart_charging import ProfileBook
from ladeplan.simulator.station2 import Station2
from ladeplan.simulator.station16 import Station16


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Sim16(Station16, V16ChargePoint):
    """A 1.6J charge point: accepts remote start/stop and charging profiles, remembers them and
    limits its cars by them (``book``, see ``smart_charging.py``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.remote_starts: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.remote_stops: asyncio.Queue[int] = asyncio.Queue()
        self.profiles: list[dict[str, Any]] = []
        self.book = ProfileBook()

    @on(V16Action.remote_start_transaction)
    async def on_remote_start(self, id_tag: str, **kwargs: Any) -> v16_result.RemoteStartTransaction:
        await self.remote_starts.put({"id_tag": id_tag, **kwargs})
        return v16_result.RemoteStartTransaction(status="Accepted")

    @on(V16Action.remote_stop_transaction)
    async def on_remote_stop(self, transaction_id: int) -> v16_result.RemoteStopTransaction:
        await self.remote_stops.put(transaction_id)
        return v16_result.RemoteStopTransaction(status="Accepted")

    @on(V16Action.set_charging_profile)
    async def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict[str, Any]) -> Any:
        self.profiles.append({"connector_id": connector_id, **cs_charging_profiles})
        self.book.add(connector_id, cs_charging_profiles)
        return v16_result.SetChargingProfile(status="Accepted")

    async def boot(self) -> Any:
        return await self.call(v16_call.BootNotification(charge_point_model="Sim-16", charge_point_vendor="ladeplan"))

    async def authorize(self, id_tag: str) -> Any:
        return await self.call(v16_call.Authorize(id_tag=id_tag))

    async def start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str | None = None
    ) -> Any:
        """``timestamp`` fixed by the caller makes a retry the same request, as a real charge point's is."""
        return await self.call(
            v16_call.StartTransaction(
                connector_id=connector_id, id_tag=id_tag, meter_start=meter_start, timestamp=timestamp or now_iso()
            )
        )

    async def meter_values(
        self, connector_id: int, transaction_id: int, energy_wh: int, power_w: float, *, timestamp: str | None = None
    ) -> Any:
        """``timestamp``: when the values were sampled (earlier for values queued while offline)."""
        return await self.call(
            v16_call.MeterValues(
                connector_id=connector_id,
                transaction_id=transaction_id,
                meter_value=[
                    {
                        "timestamp": timestamp or now_iso(),
                        "sampled_value": [
                            {"value": str(energy_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                            {"value": f"{power_w:.1f}", "measurand": "Power.Active.Import", "unit": "W"},
                        ],
                    }
                ],
            )
        )

    async def signed_meter_values(
        self,
        connector_id: int,
        transaction_id: int,
        signed_data: str,
        *,
        context: str = "Sample.Periodic",
        timestamp: str | None = None,
    ) -> Any:
        """MeterValues with one signed value (OCA's 1.6 convention: ``format`` SignedData, the data as ``value``).

        A Eichrecht charge point sends its ``Transaction.Begin`` record this way right after the start.
        """
        return await self.call(
            v16_call.MeterValues(
                connector_id=connector_id,
                transaction_id=transaction_id,
                meter_value=[
                    {"timestamp": timestamp or now_iso(), "sampled_value": [_signed_16(signed_data, context)]}
                ],
            )
        )

    async def stop_transaction(
        self,
        transaction_id: int,
        meter_stop: int,
        id_tag: str | None = None,
        *,
        signed_data: str | None = None,
        timestamp: str | None = None,
    ) -> Any:
        """``signed_data``: the ``Transaction.End`` record, sent in ``transactionData``.

        ``timestamp``: when it stopped (earlier for a stop queued while offline).
        """
        stopped_at = timestamp or now_iso()
        transaction_data = None
        if signed_data is not None:
            transaction_data = [
                {"timestamp": stopped_at, "sampled_value": [_signed_16(signed_data, "Transaction.End")]}
            ]
        return await self.call(
            v16_call.StopTransaction(
                transaction_id=transaction_id,
                meter_stop=meter_stop,
                timestamp=stopped_at,
                id_tag=id_tag,
                reason="Local",
                transaction_data=transaction_data,
            )
        )


def _signed_16(signed_data: str, context: str) -> dict[str, str]:
    return {
        "value": signed_data,
        "format": "SignedData",
        "context": context,
        "measurand": "Energy.Active.Import.Register",
        "location": "Outlet",
    }


class Sim201(Station2, V201ChargePoint):
    """A 2.0.1 charging station with one EVSE, answering RequestStart/Stop and SetChargingProfile;
    its cars draw within the profiles it holds (``book``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.remote_starts: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.remote_stops: asyncio.Queue[str] = asyncio.Queue()
        self.profiles: list[dict[str, Any]] = []
        self.book = ProfileBook()
        self.seq_no = 0

    @on(V201Action.request_start_transaction)
    async def on_request_start(self, id_token: dict[str, Any], remote_start_id: int, **kwargs: Any) -> Any:
        await self.remote_starts.put({"id_token": id_token, "remote_start_id": remote_start_id, **kwargs})
        return v201_result.RequestStartTransaction(status="Accepted")

    @on(V201Action.request_stop_transaction)
    async def on_request_stop(self, transaction_id: str) -> Any:
        await self.remote_stops.put(transaction_id)
        return v201_result.RequestStopTransaction(status="Accepted")

    @on(V201Action.set_charging_profile)
    async def on_set_charging_profile(self, evse_id: int, charging_profile: dict[str, Any]) -> Any:
        self.profiles.append({"evse_id": evse_id, **charging_profile})
        self.book.add(evse_id, charging_profile)
        return v201_result.SetChargingProfile(status="Accepted")

    async def boot(self) -> Any:
        return await self.call(
            v201_call.BootNotification(
                charging_station={"model": "Sim-201", "vendor_name": "ladeplan"}, reason="PowerUp"
            )
        )

    def _next_seq(self) -> int:
        self.seq_no += 1
        return self.seq_no - 1

    async def transaction_event(
        self,
        event_type: str,
        transaction_id: str,
        *,
        trigger_reason: str,
        energy_wh: int | None = None,
        context: str = "Sample.Periodic",
        id_token: str | None = None,
        stopped_reason: str | None = None,
        evse_id: int = 1,
        signed_meter_value: dict[str, str] | None = None,
        timestamp: str | None = None,
        offline: bool = False,
        seq_no: int | None = None,
    ) -> Any:
        """``signed_meter_value`` (e.g. ``SigningMeter.signed_meter_value``) is attached to the energy reading.

        An event queued while offline keeps its ``timestamp`` and says ``offline``; a retry repeats its ``seq_no``.
        """
        info: dict[str, Any] = {"transaction_id": transaction_id}
        if stopped_reason:
            info["stopped_reason"] = stopped_reason
        at = timestamp or now_iso()
        payload: dict[str, Any] = {
            "event_type": event_type,
            "timestamp": at,
            "trigger_reason": trigger_reason,
            "seq_no": self._next_seq() if seq_no is None else seq_no,
            "transaction_info": info,
            "evse": {"id": evse_id, "connector_id": 1},
        }
        if offline:
            payload["offline"] = True
        if id_token is not None:
            payload["id_token"] = {"id_token": id_token, "type": "ISO14443"}
        if energy_wh is not None:
            sample: dict[str, Any] = {
                "value": energy_wh,
                "measurand": "Energy.Active.Import.Register",
                "context": context,
                "unit_of_measure": {"unit": "Wh"},
            }
            if signed_meter_value is not None:
                sample["signed_meter_value"] = signed_meter_value
            payload["meter_value"] = [{"timestamp": at, "sampled_value": [sample]}]
        return await self.call(v201_call.TransactionEvent(**payload))


class Sim21(Sim201):
    """A 2.1 charging station: the 2.0.1 station's behaviour, validated against and sent as OCPP 2.1."""

    _call = v21_call
    _call_result = v21_result
    _ocpp_version = "2.1"
