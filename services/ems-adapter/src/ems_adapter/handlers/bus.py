"""Bus entry points: the events ems-adapter plans from.

Queues (durable, dead-lettering into ``ladeplan.dead-letter``):
- ``ems-adapter.transactions`` <- ``transaction.started``, ``transaction.ended``: arrivals and
  departures (earlier releases bound ``transaction.*``; that binding is removed at start).
- ``ems-adapter.sessions`` <- ``session.completed``: a departure, if ``transaction.ended`` was missed.
- ``ems-adapter.masterdata`` <- ``masterdata.#``: locations (grid limit) and charge points.
- ``ems-adapter.charging-needs`` <- ``chargepoint.ev_charging_needs.notified``: the EV's demand.
- ``ems-adapter.boots`` <- ``chargepoint.boot.notified``: a charge point that was offline gets its
  cap (replan).
- ``ems-adapter.measurements`` <- ``session.energy.measured``: what each running session drew by its
  meter, about once a minute per session (session-manager bounds the rate), instead of every
  ``transaction.meter_values``.
"""

from __future__ import annotations

from faststream.rabbit import RabbitBroker

from ems_adapter.use_cases.demand import Demand
from ladeplan_contracts.events import (
    ChargePointBooted,
    ChargePointCreated,
    LocationCreated,
    SessionCompleted,
    SessionEnergyMeasured,
    TransactionEnded,
    TransactionStarted,
)
from ladeplan_contracts.smart_charging import EvChargingNeedsNotified
from ladeplan_platform.bus import bind_events, subscribe_events, unbind_events

TRANSACTIONS_QUEUE = "ems-adapter.transactions"
MEASUREMENTS_QUEUE = "ems-adapter.measurements"


async def bind_transaction_events(broker: RabbitBroker) -> None:
    """The second routing key of the transactions queue (call before the broker starts).

    Releases before issue 3 bound the queue to ``transaction.*``; on a broker that ran one, that
    binding outlives them and would keep every MeterValues coming, so it is removed.
    """
    await bind_events(broker, TRANSACTIONS_QUEUE, TransactionEnded.TYPE)
    await unbind_events(broker, TRANSACTIONS_QUEUE, "transaction.*")


def register_bus_handlers(broker: RabbitBroker, demand: Demand) -> None:
    """Subscribe every consumer on ``broker`` (before it starts)."""
    # Bound to the two events handled here (the second by bind_transaction_events): "transaction.*"
    # would make RabbitMQ store every MeterValues for this queue, the bulk of all traffic.
    subscribe_events(
        broker,
        TRANSACTIONS_QUEUE,
        TransactionStarted.TYPE,
        {
            TransactionStarted.TYPE: (TransactionStarted, demand.transaction_started),
            TransactionEnded.TYPE: (TransactionEnded, demand.transaction_ended),
        },
    )
    subscribe_events(
        broker,
        "ems-adapter.sessions",
        SessionCompleted.TYPE,
        {SessionCompleted.TYPE: (SessionCompleted, demand.session_completed)},
    )
    subscribe_events(
        broker,
        "ems-adapter.masterdata",
        "masterdata.#",
        {
            LocationCreated.TYPE: (LocationCreated, demand.location_created),
            ChargePointCreated.TYPE: (ChargePointCreated, demand.charge_point_created),
        },
    )
    subscribe_events(
        broker,
        "ems-adapter.charging-needs",
        EvChargingNeedsNotified.TYPE,
        {EvChargingNeedsNotified.TYPE: (EvChargingNeedsNotified, demand.charging_needs)},
    )
    subscribe_events(
        broker,
        "ems-adapter.boots",
        ChargePointBooted.TYPE,
        {ChargePointBooted.TYPE: (ChargePointBooted, demand.charge_point_booted)},
    )
    # A queue of its own: ems-adapter.sessions is for departures, and a burst of measurements
    # must not hold a departure (and the capacity it frees) up behind it.
    subscribe_events(
        broker,
        MEASUREMENTS_QUEUE,
        SessionEnergyMeasured.TYPE,
        {SessionEnergyMeasured.TYPE: (SessionEnergyMeasured, demand.energy_measured)},
    )
