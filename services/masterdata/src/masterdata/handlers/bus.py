"""Bus handlers: masterdata answers one RPC, the gateway's handshake check of a charge point."""

from __future__ import annotations

import structlog
from faststream.rabbit import RabbitBroker

from ladeplan_contracts.rpc import AuthenticateChargePointReply, AuthenticateChargePointRequest
from ladeplan_platform.bus import serve_rpc
from masterdata.authentication import ChargePointAuthenticator

log = structlog.get_logger("masterdata.handlers.bus")


def register_rpc(broker: RabbitBroker, authenticator: ChargePointAuthenticator) -> None:
    """Serve ``masterdata.authenticate-charge-point`` on ``broker`` (call before the broker starts)."""

    async def authenticate_charge_point(request: AuthenticateChargePointRequest) -> AuthenticateChargePointReply:
        """Answer whether the charge point presented its own credential, and where it stands."""
        try:
            if request.client_certificate:
                verdict = await authenticator.confirm_registered(request.charge_point_id)
            else:
                verdict = await authenticator.authenticate(request.charge_point_id, request.password)
        except Exception:
            # No answer rather than a refusal: "cannot check now" is not "wrong password", and the
            # gateway's call times out instead of telling a legitimate charge point it is unknown.
            log.exception("chargepoint.authentication_failed", charge_point_id=request.charge_point_id)
            raise
        return AuthenticateChargePointReply(accepted=verdict.accepted, location_id=verdict.location_id)

    serve_rpc(broker, AuthenticateChargePointRequest, authenticate_charge_point)
