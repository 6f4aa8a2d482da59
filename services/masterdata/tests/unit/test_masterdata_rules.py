"""The validation rules operators meet in 422 answers."""

from __future__ import annotations

import pytest

from masterdata.domain import rules

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("value", ["CP-1", "cp_1.a", "A" * 48, "0"])
def test_charge_point_id_accepts_url_safe_identities(value: str) -> None:
    assert rules.charge_point_id(value) == value


@pytest.mark.parametrize("value", ["", "A" * 49, "cp/1", "cp 1", "cp#1", "ladesäule", "cp%2F"])
def test_charge_point_id_refuses_what_would_need_escaping(value: str) -> None:
    with pytest.raises(ValueError, match="1 to 48 characters"):
        rules.charge_point_id(value)


@pytest.mark.parametrize("value", ["a" * 16, "x" * 40, "Ab1!-_=:+|@.*#~^" * 2])
def test_password_within_ocpp_limits(value: str) -> None:
    assert rules.charge_point_password(value) == value


@pytest.mark.parametrize("value", ["a" * 15, "a" * 41, ""])
def test_password_length_follows_basic_auth_password(value: str) -> None:
    with pytest.raises(ValueError, match="16 to 40"):
        rules.charge_point_password(value)


@pytest.mark.parametrize("value", ["with space inside!", "umläüteumläüteumläüte", "tab\tinside-the-password"])
def test_password_must_be_printable_ascii(value: str) -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        rules.charge_point_password(value)


def test_could_be_password_matches_the_length_rule() -> None:
    assert rules.could_be_password("a" * 16)
    assert not rules.could_be_password("a" * 15)
    assert not rules.could_be_password("a" * 10_000)


@pytest.mark.parametrize("value", ["Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT-2"])
def test_timezone_accepts_iana_names(value: str) -> None:
    assert rules.timezone(value) == value


@pytest.mark.parametrize("value", ["", "Europe/Atlantis", "europe/berlin", "CET+1", "../etc/passwd", "+01:00"])
def test_timezone_refuses_other_text(value: str) -> None:
    with pytest.raises(ValueError, match="IANA"):
        rules.timezone(value)


def test_display_name_is_trimmed() -> None:
    assert rules.display_name("  Depot Nord ") == "Depot Nord"


@pytest.mark.parametrize(
    ("value", "reason"), [("   ", "empty"), ("x" * 201, "at most 200"), ("a\nb", "control characters")]
)
def test_display_name_refusals(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        rules.display_name(value)


def test_unique_connector_ids() -> None:
    rules.unique_connector_ids([1, 2, 3])
    with pytest.raises(ValueError, match="connector_id 2 appears more than once"):
        rules.unique_connector_ids([1, 2, 2])


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("Anna.Berg@Example.COM", "Anna.Berg@example.com"),
        (" ops+ladeplan@sub.example.de ", "ops+ladeplan@sub.example.de"),
        ("jörg@bücher.de", "jörg@bücher.de"),
    ],
)
def test_email_is_normalised(value: str, normalised: str) -> None:
    assert rules.email(value) == normalised


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@example",
        "a@@example.com",
        "a b@example.com",
        ".a@example.com",
        "a..b@example.com",
        "a@-example.com",
        "a@example..com",
        "a@127.0.0.1",
        "a@" + "x" * 250 + ".de",
    ],
)
def test_email_refuses_garbage(value: str) -> None:
    with pytest.raises(ValueError, match=r"mail address|domain|at most"):
        rules.email(value)


@pytest.mark.parametrize("value", ["04A2B3C4", "DE-8EO-CAB12345-6", "x", "a" * 36, "AB+cd=*:|@./%"])
def test_token_uid_accepts_ocpp_id_tokens(value: str) -> None:
    assert rules.token_uid(value) == value


@pytest.mark.parametrize("value", ["", "a" * 37, "with space", "ümlaut"])
def test_token_uid_refusals(value: str) -> None:
    with pytest.raises(ValueError, match="1 to 36 printable ASCII"):
        rules.token_uid(value)


def test_parse_uuid_gives_the_canonical_form_or_none() -> None:
    assert rules.parse_uuid("0F3C5B1E-0000-4000-8000-000000000001") == "0f3c5b1e-0000-4000-8000-000000000001"
    assert rules.parse_uuid("not-a-uuid") is None
    assert rules.parse_uuid(rules.new_id()) is not None
