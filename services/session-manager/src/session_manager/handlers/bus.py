"""Bus entry points: the two RPCs a charge point waits on, and the events session-manager consumes.

Queues (durable, dead-lettering into ``ladeplan.dead-letter``):
- ``session-manager.masterdata`` <- ``masterdata.token.*``: the token read model.
- ``session-manager.transactions`` <- ``transaction.*``: meter values and transaction ends, in the
  order published, a burst at a time in one database transaction (``transaction.started``, our own
  event, matches too and is skipped).
- ``session-manager.authorize`` and ``session-manager.start-transaction``: RPC.
"""

from __future__ import annotations

from typing import Any

from faststream.rabbit import RabbitBroker
from structlog.contextvars import bound_contextvars

from ladeplan_contracts.envelope import Envelope
from ladeplan_contracts.events import MeterValuesReported, TokenCreated, TokenUpdated, TransactionEnded
from ladeplan_contracts.rpc import (
    AuthorizeReply,
    AuthorizeRequest,
    StartTransactionReply,
    StartTransactionRequest,
)
from ladeplan_platform.batched import BatchedSubscriber
from ladeplan_platform.bus import serve_rpc, subscribe_events
from session_manager.config import Settings
from session_manager.use_cases.authorization import Authorization
from session_manager.use_cases.transactions import Transactions

MASTERDATA_QUEUE = "session-manager.masterdata"
TRANSACTIONS_QUEUE = "session-manager.transactions"


def register_bus_handlers(
    broker: RabbitBroker, authorization: Authorization, transactions: Transactions, settings: Settings
) -> BatchedSubscriber:
    """Subscribe every consumer and RPC server on ``broker`` (before it starts).

    Returns the transactions consumer, which runs on a connection of its own: start it once the
    events exchange is declared, close it before the pool.
    """

    async def on_token(envelope: Envelope[Any]) -> None:
        """TokenCreated / TokenUpdated: keep the read model current."""
        await authorization.apply_token(envelope)

    async def on_meter_values(envelope: Envelope[Any]) -> None:
        """MeterValuesReported: store the values, linked to their session when it is known."""
        report: MeterValuesReported = envelope.data
        with bound_contextvars(charge_point_id=report.charge_point_id, transaction_ref=report.transaction_ref):
            await transactions.record_meter_values(envelope)

    async def on_transaction_message(envelope: Envelope[Any]) -> None:
        """One message of the transactions queue in its own transaction."""
        if envelope.type == TransactionEnded.TYPE:
            await on_transaction_ended(envelope)
        else:
            await on_meter_values(envelope)

    async def on_transaction_ended(envelope: Envelope[Any]) -> None:
        """TransactionEnded: complete the session and announce ``session.completed``."""
        ended: TransactionEnded = envelope.data
        with bound_contextvars(charge_point_id=ended.charge_point_id, transaction_ref=ended.transaction_ref):
            await transactions.end(envelope)

    async def authorize(request: AuthorizeRequest) -> AuthorizeReply:
        """Authorize RPC: the charge point waits on this inside its OCPP frame."""
        with bound_contextvars(charge_point_id=request.charge_point_id):
            return await authorization.authorize(request)

    async def start_transaction(request: StartTransactionRequest) -> StartTransactionReply:
        """StartTransaction RPC: records the session and hands out its transaction id."""
        with bound_contextvars(charge_point_id=request.charge_point_id, connector_id=request.connector_id):
            return await transactions.start(request)

    subscribe_events(
        broker,
        MASTERDATA_QUEUE,
        "masterdata.token.*",
        {TokenCreated.TYPE: (TokenCreated, on_token), TokenUpdated.TYPE: (TokenUpdated, on_token)},
    )
    # In queue order: the gateway publishes a charge point's transaction messages in the order it
    # sent them (also a backlog it replays after being offline), and a transaction's meter values
    # must be stored before its end computes the energy from them. Handled concurrently, the end
    # could win the transaction lock first. A burst goes into one database transaction (one commit
    # instead of one per message), which is what keeps this consumer up with a busy gateway.
    consumer = BatchedSubscriber(
        settings.amqp_url,
        TRANSACTIONS_QUEUE,
        ["transaction.*"],
        {MeterValuesReported.TYPE: MeterValuesReported, TransactionEnded.TYPE: TransactionEnded},
        handle_one=on_transaction_message,
        handle_batch=transactions.apply_in_order,
        window=settings.transactions_window,
        max_batch=min(settings.transactions_max_batch, settings.transactions_window),
    )
    serve_rpc(broker, AuthorizeRequest, authorize)
    serve_rpc(broker, StartTransactionRequest, start_transaction)
    return consumer
