"""The authorisation decision, taken from the token read model that masterdata's events keep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ladeplan_contracts.rpc import AuthorizationStatus

TokenStatus = Literal["active", "blocked", "expired"]


@dataclass(frozen=True)
class Token:
    """A token as this service knows it (a copy of masterdata's, possibly a little behind)."""

    uid: str
    type: str
    user_id: str
    status: TokenStatus


@dataclass(frozen=True)
class Decision:
    status: AuthorizationStatus
    user_id: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == "Accepted"


_STATUS_OF_TOKEN: dict[TokenStatus, AuthorizationStatus] = {
    "active": "Accepted",
    "blocked": "Blocked",
    "expired": "Expired",
}


def decide(token: Token | None) -> Decision:
    """Accepted for an active token (naming its user); Blocked/Expired as stored; Invalid when unknown."""
    if token is None:
        return Decision("Invalid")
    status = _STATUS_OF_TOKEN[token.status]
    # The user is only named to a charge point that may go ahead; a refusal reveals nobody.
    return Decision(status, token.user_id if status == "Accepted" else None)


def decide_start(token_uid: str | None, token: Token | None) -> Decision:
    """Like :func:`decide`, but a start without any token is Accepted.

    A charge point only starts without a token in free-vend or plug-and-charge mode, which the
    operator configured on it; refusing would leave the car charging without a session.
    """
    if token_uid is None:
        return Decision("Accepted")
    return decide(token)
