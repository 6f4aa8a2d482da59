"""Session state rules and transaction references."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from session_manager.domain.session import (
    Session,
    SessionAlreadyCompleted,
    TransactionRef,
    ensure_stoppable,
    transaction_ref_for,
)

pytestmark = pytest.mark.unit


def session(status):
    return Session(
        id=uuid.uuid4(),
        charge_point_id="CP-1",
        evse_id=1,
        connector_id=1,
        transaction_id=7,
        transaction_ref="7",
        token_uid=None,
        user_id=None,
        authorization_status="Accepted",
        status=status,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        meter_start_wh=0,
        ended_at=None if status == "active" else datetime(2026, 1, 1, 1, tzinfo=UTC),
        meter_stop_wh=None,
        stop_reason=None,
        energy_wh=None,
        unknown_start=False,
    )


def test_ocpp16_gets_our_integer_as_its_reference():
    assert transaction_ref_for(None, 42) == TransactionRef("42", assigned=True)


def test_ocpp2_keeps_the_charge_points_reference():
    assert transaction_ref_for("a1b2-c3", 42) == TransactionRef("a1b2-c3", assigned=False)


def test_an_active_session_can_be_stopped():
    ensure_stoppable(session("active"))


def test_a_completed_session_cannot_be_stopped():
    with pytest.raises(SessionAlreadyCompleted):
        ensure_stoppable(session("completed"))
