"""Exchange, queue and routing-key names: the bus's public interface (docs/architecture.md)."""

EVENTS_EXCHANGE = "ladeplan.events"
"""Durable topic exchange; routing key ``<domain>.<entity>.<event>`` in past tense."""

COMMANDS_EXCHANGE = "ladeplan.commands"
"""Durable direct exchange; routing key = charge point id, bound by the gateway node holding its socket."""

DEAD_LETTER_EXCHANGE = "ladeplan.dead-letter"
"""Fan-out exchange that every consuming queue dead-letters into; ``ladeplan.dead-letter`` queue keeps them."""

DEAD_LETTER_QUEUE = "ladeplan.dead-letter"

# RPC queues (default exchange, routing key = queue name). Only where OCPP needs an answer in the frame.
RPC_AUTHORIZE = "session-manager.authorize"
RPC_START_TRANSACTION = "session-manager.start-transaction"
RPC_AUTHENTICATE_CHARGE_POINT = "masterdata.authenticate-charge-point"
