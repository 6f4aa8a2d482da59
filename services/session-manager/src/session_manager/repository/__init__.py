"""SQL of the ``sessions`` schema, and nothing else (the pool's search_path pins it).

Every function takes the caller's connection, so a use case decides where its transaction begins
and ends, and the outbox row it stages commits with the state it announces.
"""

from session_manager.repository.meter_values import (
    MeterValueRow,
    adopt_unmatched,
    energy_readings,
    insert_meter_values,
    insert_meter_values_by_message,
    meter_values_of,
    retry_of_same_call,
)
from session_manager.repository.sessions import (
    NewSession,
    complete_session,
    find_by_ref,
    find_by_refs,
    find_session,
    find_started,
    insert_session,
    insert_unknown_start,
    list_sessions,
    lock_transaction_ref,
    lock_transaction_refs,
    next_transaction_id,
)
from session_manager.repository.tokens import find_token, upsert_token

__all__ = [
    "MeterValueRow",
    "NewSession",
    "adopt_unmatched",
    "complete_session",
    "energy_readings",
    "find_by_ref",
    "find_by_refs",
    "find_session",
    "find_started",
    "find_token",
    "insert_meter_values",
    "insert_meter_values_by_message",
    "insert_session",
    "insert_unknown_start",
    "list_sessions",
    "lock_transaction_ref",
    "lock_transaction_refs",
    "meter_values_of",
    "next_transaction_id",
    "retry_of_same_call",
    "upsert_token",
]
