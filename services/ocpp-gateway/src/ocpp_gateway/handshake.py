"""Who may open ``/ocpp/{charge_point_id}``: OCPP security profiles 1 to 3 at the websocket handshake.

- Profiles 1 and 2: HTTP Basic auth; the login must be the id in the URL and masterdata checks the
  password (argon2). TLS for profile 2 is terminated by the gateway or in front of it.
- Profile 3: a TLS client certificate, verified against the client CA by the TLS layer, whose
  subject names the charge point; masterdata then only confirms the charge point is registered, so
  a decommissioned charge point is refused even while its certificate is valid. No Basic auth.

A refusal is an HTTP response instead of the upgrade: 401 asks for Basic credentials, 403 says a
certificate was presented that may not connect as this charge point, 503 says masterdata could not
answer (the charge point retries later; "cannot check now" is not "wrong password").
"""

from __future__ import annotations

import structlog
from aiohttp import web

from ladeplan_contracts.rpc import AuthenticateChargePointReply, AuthenticateChargePointRequest
from ladeplan_platform.rpc import RpcClient, RpcTimeout, Unroutable
from ocpp_gateway.config import Settings
from ocpp_gateway.domain.credentials import certificate_refusal, parse_basic_auth
from ocpp_gateway.tls import peer_certificate

log = structlog.get_logger("ocpp_gateway.handshake")


def _unauthorized() -> web.Response:
    return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="ladeplan"'})


def _forbidden(reason: str) -> web.Response:
    return web.Response(status=403, text=reason)


class HandshakeGuard:
    def __init__(self, settings: Settings, rpc: RpcClient) -> None:
        self._settings = settings
        self._rpc = rpc

    async def refusal(self, request: web.Request, charge_point_id: str) -> web.Response | None:
        """None when the charge point may connect, else the HTTP response refusing it."""
        certificate = peer_certificate(request)
        if certificate is not None:
            reason = certificate_refusal(certificate, charge_point_id, self._settings.tls_client_organization)
            if reason is not None:
                log.warning("handshake.certificate_refused", reason=reason)
                return _forbidden("The client certificate does not belong to this charge point.")
            return await self._ask_masterdata(
                AuthenticateChargePointRequest(charge_point_id=charge_point_id, password="", client_certificate=True),
                refuse=_forbidden("The charge point is not registered."),
            )
        if self._settings.profile == 3:
            # The TLS layer already demands a certificate in profile 3; this rule must not rest on it alone.
            return _forbidden("A client certificate is required (security profile 3).")
        credentials = parse_basic_auth(request.headers.get("Authorization", ""))
        if credentials is None or credentials[0] != charge_point_id:
            return _unauthorized()
        return await self._ask_masterdata(
            AuthenticateChargePointRequest(charge_point_id=charge_point_id, password=credentials[1]),
            refuse=_unauthorized(),
        )

    async def _ask_masterdata(
        self, request: AuthenticateChargePointRequest, *, refuse: web.Response
    ) -> web.Response | None:
        try:
            reply = await self._rpc.call(
                request,
                AuthenticateChargePointReply,
                timeout=self._settings.decision_timeout_s,
                charge_point_id=request.charge_point_id,
            )
        except (RpcTimeout, Unroutable):
            log.error("handshake.auth_unavailable")
            return web.Response(status=503, text="Charge point authentication is unavailable; retry later.")
        return None if reply.accepted else refuse
