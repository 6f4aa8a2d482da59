"""Bus entry points: the events receipts consumes.

Queues (durable, dead-lettering into ``ladeplan.dead-letter``):
- ``receipts.transactions`` <- ``transaction.started``, ``transaction.signed_meter_values``,
  ``transaction.ended``: session starts, meter values that carry signed data, transaction ends;
  handled one at a time, in the order published. Meter values without signed data (published
  under ``transaction.meter_values``, the bulk of all traffic) never reach this queue.
- ``receipts.sessions`` <- ``session.completed``: the session's facts; its receipt follows.
"""

from __future__ import annotations

from typing import Any

from faststream.rabbit import RabbitBroker
from structlog.contextvars import bound_contextvars

from ladeplan_contracts.envelope import Envelope
from ladeplan_contracts.events import (
    SIGNED_METER_VALUES_ROUTING_KEY,
    MeterValuesReported,
    SessionCompleted,
    TransactionEnded,
    TransactionStarted,
)
from ladeplan_platform.bus import bind_events, subscribe_events, unbind_events
from receipts.use_cases.capture import Capture
from receipts.use_cases.sessions import SessionEvents

TRANSACTIONS_QUEUE = "receipts.transactions"
SESSIONS_QUEUE = "receipts.sessions"


async def bind_transaction_events(broker: RabbitBroker) -> None:
    """The transactions queue's other routing keys; call after connecting, before the broker starts.

    Releases before this one bound the queue to ``transaction.*``; that binding outlives them on
    an existing broker and would keep every unsigned MeterValues coming, so it is removed.
    """
    await bind_events(broker, TRANSACTIONS_QUEUE, SIGNED_METER_VALUES_ROUTING_KEY, TransactionEnded.TYPE)
    await unbind_events(broker, TRANSACTIONS_QUEUE, "transaction.*")


def register_bus_handlers(broker: RabbitBroker, capture: Capture, sessions: SessionEvents) -> None:
    """Subscribe every consumer on ``broker`` (before it starts)."""

    async def on_started(envelope: Envelope[Any]) -> None:
        """TransactionStarted: the session exists; its values can be tagged with it."""
        event: TransactionStarted = envelope.data
        with bound_contextvars(session_id=event.session_id, transaction_ref=event.transaction_ref):
            await sessions.started(envelope)

    async def on_meter_values(envelope: Envelope[Any]) -> None:
        """MeterValuesReported: capture the signed values."""
        report: MeterValuesReported = envelope.data
        with bound_contextvars(transaction_ref=report.transaction_ref):
            await capture.meter_values(envelope)

    async def on_ended(envelope: Envelope[Any]) -> None:
        """TransactionEnded: capture the end's signed values; a receipt may be due."""
        ended: TransactionEnded = envelope.data
        with bound_contextvars(transaction_ref=ended.transaction_ref):
            await capture.transaction_ended(envelope)

    async def on_completed(envelope: Envelope[Any]) -> None:
        """SessionCompleted: keep the session's facts; a receipt may be due."""
        event: SessionCompleted = envelope.data
        with bound_contextvars(session_id=event.session_id, transaction_ref=event.transaction_ref):
            await sessions.completed(envelope)

    # In queue order: a transaction's begin values are then stored before its end is, so the receipt
    # the end may issue holds them; handled concurrently, a backlog could issue it without the begin
    # (a version that a later one corrects, but announced all the same). One queue for the three
    # routing keys (the other two bound by bind_transaction_events) keeps their relative order.
    subscribe_events(
        broker,
        TRANSACTIONS_QUEUE,
        TransactionStarted.TYPE,
        {
            TransactionStarted.TYPE: (TransactionStarted, on_started),
            MeterValuesReported.TYPE: (MeterValuesReported, on_meter_values),
            TransactionEnded.TYPE: (TransactionEnded, on_ended),
        },
        in_order=True,
    )
    subscribe_events(
        broker, SESSIONS_QUEUE, SessionCompleted.TYPE, {SessionCompleted.TYPE: (SessionCompleted, on_completed)}
    )
