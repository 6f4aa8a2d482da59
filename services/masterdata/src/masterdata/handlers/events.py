"""Bus subscribers: the charge point status read model, fed by the gateway's ``chargepoint.*`` events."""

from __future__ import annotations

from faststream.rabbit import RabbitBroker

from ladeplan_contracts.chargepoint import ChargePointsSeen, FirmwareStatusNotified
from ladeplan_contracts.events import ChargePointBooted, ChargePointConnected, ChargePointDisconnected
from ladeplan_platform.bus import subscribe_events
from masterdata.status_projection import StatusProjection

STATUS_QUEUE = "masterdata.charge-point-status"


def register_status_consumer(broker: RabbitBroker, projection: StatusProjection) -> None:
    """Consume ``chargepoint.#`` into the status read model (call before the broker starts).

    One queue for every kind so a charge point's events are applied in the order the gateway
    published them; kinds this model does not keep (status notifications, reports) are skipped.
    """
    subscribe_events(
        broker,
        STATUS_QUEUE,
        "chargepoint.#",
        {
            ChargePointConnected.TYPE: (ChargePointConnected, projection.connected),
            ChargePointDisconnected.TYPE: (ChargePointDisconnected, projection.disconnected),
            ChargePointBooted.TYPE: (ChargePointBooted, projection.booted),
            FirmwareStatusNotified.TYPE: (FirmwareStatusNotified, projection.firmware),
            ChargePointsSeen.TYPE: (ChargePointsSeen, projection.seen),
        },
    )
