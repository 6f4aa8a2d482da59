"""The authorisation decision from the token read model."""

from __future__ import annotations

import pytest

from session_manager.domain.authorization import Decision, Token, decide, decide_start

pytestmark = pytest.mark.unit


def token(status):
    return Token(uid="TAG-1", type="ISO14443", user_id="user-1", status=status)


def test_an_active_token_is_accepted_and_names_its_user():
    assert decide(token("active")) == Decision("Accepted", "user-1")
    assert decide(token("active")).accepted


@pytest.mark.parametrize(("status", "expected"), [("blocked", "Blocked"), ("expired", "Expired")])
def test_a_blocked_or_expired_token_is_refused_and_names_nobody(status, expected):
    decision = decide(token(status))

    assert decision == Decision(expected, None)
    assert not decision.accepted


def test_an_unknown_token_is_invalid():
    assert decide(None) == Decision("Invalid")


def test_a_start_without_token_is_free_vend_and_accepted():
    assert decide_start(None, None) == Decision("Accepted")


def test_a_start_with_a_token_is_decided_like_authorize():
    assert decide_start("TAG-1", None) == Decision("Invalid")
    assert decide_start("TAG-1", token("blocked")) == Decision("Blocked")
    assert decide_start("TAG-1", token("active")) == Decision("Accepted", "user-1")
