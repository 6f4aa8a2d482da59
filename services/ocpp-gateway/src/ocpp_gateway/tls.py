"""TLS terminated by the gateway: the server context (security profiles 2 and 3) and the peer's certificate.

OCPP 2.0.1 (Part 2, A00) and the 1.6 security whitepaper ask for TLS 1.2 or newer and name the
cipher suites a CSMS must offer: ECDHE-ECDSA with AES-GCM, and plain RSA key exchange with AES-GCM
for charge points without ECDHE. Python's default server ciphers leave out the RSA ones, so the list
is set here, ECDHE first (the server's preference decides).
"""

from __future__ import annotations

import ssl
from typing import Any

from aiohttp import web

from ocpp_gateway.config import Settings

# OpenSSL names. The last two are TLS_RSA_WITH_AES_128/256_GCM_SHA256/384, required by OCPP for
# RSA-only charge points; TLS 1.3 suites are configured separately by OpenSSL and stay enabled.
CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
    )
)


def server_context(settings: Settings) -> ssl.SSLContext | None:
    """The gateway's TLS context, or None when TLS is terminated in front of it (or not at all).

    With a client CA, profile 3 demands a client certificate in the TLS handshake; profile 2 only
    verifies one when offered (charge points moving from Basic auth to certificates one by one).
    Files are read now, so a wrong path or a key that does not fit stops the process at start.
    """
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(CIPHERS)
    context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_COMPRESSION
    context.load_cert_chain(settings.tls_cert_file, settings.tls_key_file)
    if settings.tls_client_ca_file is not None:
        context.load_verify_locations(cafile=settings.tls_client_ca_file)
        context.verify_mode = ssl.CERT_REQUIRED if settings.profile == 3 else ssl.CERT_OPTIONAL
    return context


def peer_certificate(request: web.Request) -> dict[str, Any] | None:
    """The client certificate the TLS layer verified, or None (plain connection, or none offered).

    ``getpeercert()`` returns a decoded certificate only after verification against the client
    CA; without a client CA the context does not ask for one, so an unverified certificate never
    reaches this point.
    """
    transport = request.transport
    if transport is None:
        return None
    ssl_object = transport.get_extra_info("ssl_object")
    if not isinstance(ssl_object, ssl.SSLObject):
        return None
    certificate = ssl_object.getpeercert()
    return certificate or None
