"""Security profile settings, the TLS context they build, and the client certificate rule (profile 3)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ocpp_gateway.config import Settings
from ocpp_gateway.domain.credentials import certificate_refusal
from ocpp_gateway.tls import server_context
from tests.support.certificates import Issued, TestCA

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestCA, Issued]:
    ca = TestCA(tmp_path_factory.mktemp("pki"))
    return ca, ca.server()


def settings(**values: Any) -> Settings:
    return Settings(**values)


def test_profile_is_derived_from_what_is_configured(files: tuple[TestCA, Issued]) -> None:
    ca, server = files
    assert settings().profile == 1
    assert settings(security_profile=2).profile == 2  # TLS terminated in front of the gateway
    assert settings(tls_cert_file=server.cert, tls_key_file=server.key).profile == 2
    three = settings(tls_cert_file=server.cert, tls_key_file=server.key, tls_client_ca_file=ca.cert_file)
    assert three.profile == 3


def test_environment_names(files: tuple[TestCA, Issued], monkeypatch: pytest.MonkeyPatch) -> None:
    ca, server = files
    monkeypatch.setenv("GATEWAY_TLS_CERT_FILE", str(server.cert))
    monkeypatch.setenv("GATEWAY_TLS_KEY_FILE", str(server.key))
    monkeypatch.setenv("GATEWAY_TLS_CLIENT_CA_FILE", str(ca.cert_file))
    monkeypatch.setenv("GATEWAY_TLS_CLIENT_ORGANIZATION", "ACME Charging")
    monkeypatch.setenv("GATEWAY_SECURITY_PROFILE", "2")
    configured = Settings()
    assert (configured.tls_cert_file, configured.tls_client_ca_file) == (server.cert, ca.cert_file)
    assert (configured.profile, configured.tls_client_organization) == (2, "ACME Charging")


def test_empty_variables_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "GATEWAY_TLS_CERT_FILE",
        "GATEWAY_TLS_KEY_FILE",
        "GATEWAY_TLS_CLIENT_CA_FILE",
        "GATEWAY_SECURITY_PROFILE",
    ):
        monkeypatch.setenv(name, "")
    configured = Settings()
    assert configured.tls_cert_file is None
    assert configured.profile == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"cert": True}, "set together"),
        ({"key": True}, "set together"),
        ({"ca": True}, "needs the gateway to terminate TLS"),
        ({"cert": True, "key": True, "security_profile": 1}, "profile 1 is plain"),
        ({"cert": True, "key": True, "security_profile": 3}, "needs GATEWAY_TLS_CLIENT_CA_FILE"),
        ({"security_profile": 3}, "needs GATEWAY_TLS_CLIENT_CA_FILE"),
        ({"security_profile": 4}, "security_profile"),
        ({"cert": True, "key": True, "organization": "ACME"}, "set GATEWAY_TLS_CLIENT_CA_FILE"),
    ],
)
def test_contradictions_stop_the_start(files: tuple[TestCA, Issued], values: dict[str, Any], message: str) -> None:
    ca, server = files
    paths = {
        "cert": ("tls_cert_file", server.cert),
        "key": ("tls_key_file", server.key),
        "ca": ("tls_client_ca_file", ca.cert_file),
    }
    arguments: dict[str, Any] = {paths[k][0]: paths[k][1] for k in ("cert", "key", "ca") if values.get(k)}
    for name in ("security_profile", "organization"):
        if name in values:
            arguments["tls_client_organization" if name == "organization" else name] = values[name]
    with pytest.raises(ValidationError, match=message):
        Settings(**arguments)


def test_no_context_without_a_certificate() -> None:
    assert server_context(settings()) is None
    assert server_context(settings(security_profile=2)) is None


@pytest.mark.parametrize(
    ("client_ca", "profile", "verify_mode"),
    [(False, None, ssl.CERT_NONE), (True, None, ssl.CERT_REQUIRED), (True, 2, ssl.CERT_OPTIONAL)],
)
def test_context_per_profile(
    files: tuple[TestCA, Issued], client_ca: bool, profile: int | None, verify_mode: ssl.VerifyMode
) -> None:
    ca, server = files
    context = server_context(
        settings(
            tls_cert_file=server.cert,
            tls_key_file=server.key,
            tls_client_ca_file=ca.cert_file if client_ca else None,
            security_profile=profile,
        )
    )
    assert context is not None
    assert context.verify_mode == verify_mode
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    offered = {cipher["name"] for cipher in context.get_ciphers()}
    # OCPP 2.0.1 Part 2 A00 / 1.6 security whitepaper: the suites a CSMS must support.
    assert {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"} <= offered
    assert {"AES128-GCM-SHA256", "AES256-GCM-SHA384"} <= offered  # TLS_RSA_WITH_AES_*_GCM_*
    assert not any("CBC" in name or name.endswith("-SHA") for name in offered if not name.startswith("TLS_"))


def test_a_key_that_does_not_fit_stops_the_start(files: tuple[TestCA, Issued], tmp_path: Path) -> None:
    ca, server = files
    other = ca.client("someone-else")
    with pytest.raises(ssl.SSLError):
        server_context(settings(tls_cert_file=server.cert, tls_key_file=other.key))


def _certificate(*rdns: tuple[str, str]) -> dict[str, Any]:
    return {"subject": tuple(((name, value),) for name, value in rdns)}


@pytest.mark.parametrize(
    ("certificate", "organization", "refused"),
    [
        (_certificate(("commonName", "CP-1")), None, None),
        (_certificate(("organizationName", "ACME"), ("commonName", "CP-1")), "ACME", None),
        (_certificate(("commonName", "CP-2")), None, "commonName is not the charge point id"),
        (_certificate(("commonName", "cp-1")), None, "commonName is not the charge point id"),  # ids are case-sensitive
        (_certificate(("organizationName", "ACME")), None, "0 commonNames"),
        (_certificate(("commonName", "CP-1"), ("commonName", "CP-2")), None, "2 commonNames"),
        (_certificate(("commonName", "CP-1")), "ACME", "organizationName"),
        (_certificate(("commonName", "CP-1"), ("organizationName", "Other")), "ACME", "organizationName"),
    ],
)
def test_certificate_subject_must_name_the_charge_point(
    certificate: dict[str, Any], organization: str | None, refused: str | None
) -> None:
    reason = certificate_refusal(certificate, "CP-1", organization)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None
        assert refused in reason
