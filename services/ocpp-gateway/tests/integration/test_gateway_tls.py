"""Security profiles 2 and 3 with TLS terminated by the gateway, against a throw-away CA.

Each gateway is the production app on a real TLS socket (the context built from its settings, as
``__main__`` builds it); the charge points are aiohttp clients with or without a client certificate.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.certificates import TestCA

from .harness import RunningGateway, StandInMasterdata, heartbeat, ocpp_socket, running_gateway, stand_in

pytestmark = pytest.mark.integration

ORGANIZATION = "ladeplan tests"


@dataclass
class Pki:
    ca: TestCA
    rogue_ca: TestCA  # a CA the gateway does not trust
    directory: Path

    def client_context(self, certificate_cn: str | None = None, *, organization: str = ORGANIZATION) -> ssl.SSLContext:
        """A charge point's TLS context: trusts our CA, presents a client certificate for ``certificate_cn``."""
        context = ssl.create_default_context(cafile=self.ca.cert_file)
        if certificate_cn is not None:
            issued = self.ca.client(certificate_cn, organization, file_stem=f"{certificate_cn}-{organization}")
            context.load_cert_chain(issued.cert, issued.key)
        return context


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    return Pki(TestCA(directory), TestCA(directory, "rogue CA"), directory)


@pytest.fixture(scope="module")
async def masterdata(module_amqp_url: str) -> AsyncIterator[StandInMasterdata]:
    stand_in_masterdata = StandInMasterdata()
    async with stand_in(module_amqp_url, stand_in_masterdata):
        yield stand_in_masterdata


@pytest.fixture(scope="module")
async def profile2(
    database_url: str, module_amqp_url: str, pki: Pki, masterdata: StandInMasterdata
) -> AsyncIterator[RunningGateway]:
    server = pki.ca.server("profile2")
    async with running_gateway(database_url, module_amqp_url, tls_cert_file=server.cert, tls_key_file=server.key) as gw:
        yield gw


@pytest.fixture(scope="module")
async def profile3(
    database_url: str, module_amqp_url: str, pki: Pki, masterdata: StandInMasterdata
) -> AsyncIterator[RunningGateway]:
    server = pki.ca.server("profile3")
    async with running_gateway(
        database_url,
        module_amqp_url,
        tls_cert_file=server.cert,
        tls_key_file=server.key,
        tls_client_ca_file=pki.ca.cert_file,
        tls_client_organization=ORGANIZATION,
    ) as gw:
        yield gw


@pytest.fixture(scope="module")
async def mixed(
    database_url: str, module_amqp_url: str, pki: Pki, masterdata: StandInMasterdata
) -> AsyncIterator[RunningGateway]:
    """Profile 2 with a client CA: a certificate when offered, Basic auth otherwise (charge points migrating)."""
    server = pki.ca.server("mixed")
    async with running_gateway(
        database_url,
        module_amqp_url,
        tls_cert_file=server.cert,
        tls_key_file=server.key,
        tls_client_ca_file=pki.ca.cert_file,
        security_profile=2,
    ) as gw:
        yield gw


async def _status_of_refusal(url: str, cp_id: str, **kwargs: Any) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with ocpp_socket(url, cp_id, **kwargs):
            pass
    return refused.value.status


async def _served(url: str, cp_id: str, **kwargs: Any) -> None:
    async with ocpp_socket(url, cp_id, **kwargs) as socket:
        assert socket.protocol == "ocpp2.0.1"
        assert (await heartbeat(socket, "tls-hb"))[:2] == [3, "tls-hb"]


# --- profile 2: TLS by the gateway, Basic auth ---------------------------------------------------------


async def test_profile2_accepts_the_password_over_tls(
    profile2: RunningGateway, pki: Pki, masterdata: StandInMasterdata
) -> None:
    assert profile2.url.startswith("wss://")
    await _served(profile2.url, masterdata.register(), tls=pki.client_context())


async def test_profile2_wrong_password_is_401(
    profile2: RunningGateway, pki: Pki, masterdata: StandInMasterdata
) -> None:
    status = await _status_of_refusal(
        profile2.url, masterdata.register(), password="wrong-password-000000", tls=pki.client_context()
    )
    assert status == 401


async def test_profile2_ignores_client_certificates(
    profile2: RunningGateway, pki: Pki, masterdata: StandInMasterdata
) -> None:
    # Without a client CA the gateway does not ask for a certificate, so one cannot replace the password.
    cp_id = masterdata.register()
    status = await _status_of_refusal(profile2.url, cp_id, password=None, tls=pki.client_context(cp_id))
    assert status == 401


async def test_plain_websocket_to_tls_port_fails(profile2: RunningGateway, masterdata: StandInMasterdata) -> None:
    plain = profile2.url.replace("wss://", "ws://")
    with pytest.raises(aiohttp.ClientError):
        async with ocpp_socket(plain, masterdata.register()):
            pass


# --- profile 3: client certificates -------------------------------------------------------------------


async def test_profile3_right_common_name_is_served_without_password(
    profile3: RunningGateway, pki: Pki, masterdata: StandInMasterdata
) -> None:
    cp_id = masterdata.register("CERT")
    await _served(profile3.url, cp_id, password=None, tls=pki.client_context(cp_id))
    question = next(r for r in reversed(masterdata.asked) if r.charge_point_id == cp_id)
    assert question.client_certificate is True
    assert question.password == ""  # no secret travels when the certificate is the credential


async def test_profile3_wrong_common_name_is_403(
    profile3: RunningGateway, pki: Pki, masterdata: StandInMasterdata
) -> None:
    cp_id, other = masterdata.register("CERT"), masterdata.register("CERT")
    # The other charge point's valid certificate, even with this charge point's correct password.
    status = await _status_of_refusal(profile3.url, cp_id, tls=pki.client_context(other))
    assert status == 403


async def test_profile3_foreign_organization_is_403(
    profile3: RunningGateway, pki: Pki, masterdata: StandInMasterdata
) -> None:
    cp_id = masterdata.register("CERT")
    status = await _status_of_refusal(
        profile3.url, cp_id, password=None, tls=pki.client_context(cp_id, organization="Another Operator GmbH")
    )
    assert status == 403


async def test_profile3_unregistered_charge_point_is_403(profile3: RunningGateway, pki: Pki) -> None:
    # A valid certificate for a charge point masterdata does not know (e.g. decommissioned).
    status = await _status_of_refusal(
        profile3.url, "CERT-UNREGISTERED", password=None, tls=pki.client_context("CERT-UNREGISTERED")
    )
    assert status == 403


async def test_profile3_without_client_certificate_fails_the_tls_handshake(
    profile3: RunningGateway, pki: Pki, masterdata: StandInMasterdata
) -> None:
    asked = len(masterdata.asked)
    # The correct password does not help: profile 3 demands the certificate in the TLS handshake.
    with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
        async with ocpp_socket(profile3.url, masterdata.register("CERT"), tls=pki.client_context()) as socket:
            await socket.receive(timeout=5)
    assert len(masterdata.asked) == asked  # refused before any HTTP request


async def test_profile3_certificate_from_an_untrusted_ca_fails_the_tls_handshake(
    profile3: RunningGateway, pki: Pki, masterdata: StandInMasterdata
) -> None:
    cp_id = masterdata.register("CERT")
    context = ssl.create_default_context(cafile=pki.ca.cert_file)
    rogue = pki.rogue_ca.client(cp_id)
    context.load_cert_chain(rogue.cert, rogue.key)
    with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
        async with ocpp_socket(profile3.url, cp_id, password=None, tls=context) as socket:
            await socket.receive(timeout=5)


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"])
async def test_ocpp_cipher_suites_over_tls_1_2(
    profile3: RunningGateway, pki: Pki, masterdata: StandInMasterdata, cipher: str
) -> None:
    # OCPP's mandatory ECDSA suites (TLS_ECDHE_ECDSA_WITH_AES_128/256_GCM_*) for a TLS 1.2-only charge point.
    cp_id = masterdata.register("CERT")
    context = pki.client_context(cp_id)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(cipher)
    async with ocpp_socket(profile3.url, cp_id, password=None, tls=context) as socket:
        ssl_object = socket.get_extra_info("ssl_object")
        assert isinstance(ssl_object, ssl.SSLObject)
        assert ssl_object.version() == "TLSv1.2"
        assert ssl_object.cipher()[0] == cipher  # type: ignore[index]
        assert (await heartbeat(socket, "tls12"))[:2] == [3, "tls12"]


# --- profile 2 with a client CA: either credential ----------------------------------------------------


async def test_mixed_accepts_certificate_or_password(
    mixed: RunningGateway, pki: Pki, masterdata: StandInMasterdata
) -> None:
    with_certificate, with_password = masterdata.register("MIX"), masterdata.register("MIX")
    await _served(mixed.url, with_certificate, password=None, tls=pki.client_context(with_certificate))
    await _served(mixed.url, with_password, tls=pki.client_context())


async def test_mixed_refuses_a_wrong_password_and_a_foreign_certificate(
    mixed: RunningGateway, pki: Pki, masterdata: StandInMasterdata
) -> None:
    cp_id, other = masterdata.register("MIX"), masterdata.register("MIX")
    assert await _status_of_refusal(mixed.url, cp_id, password="wrong-password-000000", tls=pki.client_context()) == 401
    # A certificate naming another charge point is not overruled by the right password.
    assert await _status_of_refusal(mixed.url, cp_id, tls=pki.client_context(other)) == 403
