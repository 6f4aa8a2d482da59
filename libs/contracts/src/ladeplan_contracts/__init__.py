"""ladeplan's shared message contracts.

The only code services share about each other: what travels on the bus. Every event, RPC and
command model names its routing key; the envelope carries the metadata every message has.
"""

from ladeplan_contracts.envelope import Envelope, new_envelope
from ladeplan_contracts.names import COMMANDS_EXCHANGE, DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE

__all__ = ["COMMANDS_EXCHANGE", "DEAD_LETTER_EXCHANGE", "EVENTS_EXCHANGE", "Envelope", "new_envelope"]
