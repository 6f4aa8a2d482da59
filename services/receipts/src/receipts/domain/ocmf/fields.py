"""Typing the payload's JSON values into the model, field by field, with the spec's defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TypeVar

from .model import (
    JsonValue,
    LossCompensation,
    MeterStatus,
    MeterTime,
    Pagination,
    Payload,
    Reading,
    ReadingReason,
    TimeSync,
)

_E = TypeVar("_E", ReadingReason, MeterStatus)


class OcmfParseError(ValueError):
    """The input is not a well-formed OCMF record; the message says where and why."""


class NumberLiteral(str):
    """A JSON number kept as its source text, so ``0.25960`` stays ``0.25960``."""

    __slots__ = ()


# ISO 8601 as the spec fixes it: milliseconds after a comma, offset as +hhmm, a space, the sync state.
_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2}),(\d{3})([+-])(\d{2})(\d{2}) ([A-Z])")
# JSON number syntax, bounded so that Decimal arithmetic (28 digits) on readings stays exact.
_NUMBER_TEXT = re.compile(r"-?\d{1,15}(?:\.\d{1,12})?(?:[eE][+-]?\d{1,3})?")
_PAGINATION = re.compile(r"([A-Z])(\d{1,18})")
# Levels that mean "a user is assigned" when a draft-format IS carries the level (OCMF 0.1, ABL).
_ASSIGNED_LEVELS = frozenset({"HEARSAY", "TRUSTED", "VERIFIED", "CERTIFIED", "SECURE"})
# Fields a reading may omit when equal to the previous one (spec: "Readings"); values never carry over.
_INHERITED = ("TM", "TX", "RI", "RU", "RT", "EF", "ST")
_PAYLOAD_KEYS = frozenset(
    {
        *("FV", "GI", "GS", "GV", "PG"),  # general information, pagination
        *("MV", "MM", "MS", "MF"),  # meter
        *("IS", "IL", "IF", "IT", "ID", "TT"),  # user assignment
        *("CF", "LC", "CT", "CI", "RD"),  # metrologic parameters, charge point, readings
    }
)
_READING_KEYS = frozenset(["TM", "TX", "RV", "RI", "RU", "RT", "CL", "EF", "ST"])


def as_text(value: object, path: str) -> str | None:
    """A string field; a JSON number stands for its own text (``"FV": 1.0`` is ``"1.0"``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return str(value)  # a NumberLiteral becomes plain text
    raise OcmfParseError(f"{path} must be a string, not {type(value).__name__}")


def as_decimal(value: object, path: str) -> tuple[Decimal, str] | None:
    """A number field and its text; a string holding one number is accepted (DZG pads ``RV``)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise OcmfParseError(f"{path} must be a number, not {type(value).__name__}")
    text = value.strip()
    if not _NUMBER_TEXT.fullmatch(text):
        raise OcmfParseError(f"{path} {value!r} is not a number")
    return Decimal(text), text


def to_json_value(value: object) -> JsonValue:
    """An unknown field as read, numbers as ``Decimal``."""
    if isinstance(value, NumberLiteral):
        return Decimal(value)
    if isinstance(value, dict):
        return {key: to_json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json_value(item) for item in value]
    assert value is None or isinstance(value, str | bool)
    return value


def parse_time(value: object, path: str) -> MeterTime | None:
    text = as_text(value, path)
    if text is None:
        return None
    match = _TIME.fullmatch(text)
    if match is None:
        raise OcmfParseError(f"{path} {text!r} is not 'YYYY-MM-DDThh:mm:ss,fff+hhmm S'")
    year, month, day, hour, minute, second, milli, sign, off_h, off_m, sync = match.groups()
    try:
        offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
        at = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), int(milli) * 1000, timezone(offset)
        )
        return MeterTime(at=at, sync=TimeSync(sync), text=text)
    except ValueError as error:  # impossible date, offset of a day or more, unknown sync state
        raise OcmfParseError(f"{path} {text!r}: {error}") from None


def _enum(kind: type[_E], value: object, path: str) -> _E | None:
    text = as_text(value, path)
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        raise OcmfParseError(f"{path} {text!r} is not one of {', '.join(kind)}") from None


def _identification_status(value: object) -> tuple[bool | None, str | None]:
    """``IS`` and, for OCMF 0.1 drafts that wrote the level into ``IS``, that level."""
    if value is None or isinstance(value, bool):
        return value, None
    if isinstance(value, str) and not isinstance(value, NumberLiteral):
        level = value.strip().upper()
        if level == "NONE":
            return False, value
        return (True if level in _ASSIGNED_LEVELS else None), value
    raise OcmfParseError(f"IS must be true or false, not {value!r}")


def _text_list(value: object, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise OcmfParseError(f"{path} must be an array of strings")
    return tuple(as_text(item, f"{path}[{index}]") or "" for index, item in enumerate(value))


def _pagination(value: object) -> Pagination:
    text = as_text(value, "PG")
    if text is None:
        raise OcmfParseError("PG (pagination) is missing")
    match = _PAGINATION.fullmatch(text)
    if match is None:
        return Pagination(text)
    return Pagination(text, match.group(1), int(match.group(2)))


def _loss_compensation(value: object) -> LossCompensation | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise OcmfParseError("LC must be an object")
    resistance = as_decimal(value.get("LR"), "LC.LR")
    unit = as_text(value.get("LU"), "LC.LU")
    if resistance is None or unit is None:
        raise OcmfParseError("LC needs LR and LU")
    identification = as_decimal(value.get("LI"), "LC.LI")
    return LossCompensation(
        resistance=resistance[0],
        unit=unit,
        name=as_text(value.get("LN"), "LC.LN"),
        identification=identification[0] if identification else None,
    )


def _reading(raw: Mapping[str, object], inherited: frozenset[str], path: str) -> Reading:
    value = as_decimal(raw.get("RV"), f"{path}.RV")
    loss = as_decimal(raw.get("CL"), f"{path}.CL")
    return Reading(
        time=parse_time(raw.get("TM"), f"{path}.TM"),
        reason=_enum(ReadingReason, raw.get("TX"), f"{path}.TX"),
        value=value[0] if value else None,
        value_text=value[1] if value else None,
        register=as_text(raw.get("RI"), f"{path}.RI"),
        unit=as_text(raw.get("RU"), f"{path}.RU"),
        current_type=as_text(raw.get("RT"), f"{path}.RT"),
        cumulated_loss=loss[0] if loss else None,
        error_flags=as_text(raw.get("EF"), f"{path}.EF") or "",
        status=_enum(MeterStatus, raw.get("ST"), f"{path}.ST"),
        extra={key: to_json_value(item) for key, item in raw.items() if key not in _READING_KEYS},
        inherited=inherited,
    )


def _readings(value: object) -> tuple[Reading, ...]:
    if not isinstance(value, list):
        raise OcmfParseError("RD (readings) must be an array" if value is not None else "RD (readings) is missing")
    readings: list[Reading] = []
    previous: Mapping[str, object] = {}
    for index, raw in enumerate(value):
        if not isinstance(raw, dict):
            raise OcmfParseError(f"RD[{index}] must be an object")
        # "Fields that have an identical value to the previous reading are omitted" (spec, RD),
        # within one record: fill them in, and remember which were filled.
        carried = {key: previous[key] for key in _INHERITED if raw.get(key) is None and key in previous}
        merged = {**raw, **carried}
        readings.append(_reading(merged, frozenset(carried), f"RD[{index}]"))
        previous = merged
    return tuple(readings)


def payload_from_json(raw: Mapping[str, object]) -> Payload:
    """The typed payload of an already decoded payload section."""
    status, draft_level = _identification_status(raw.get("IS"))

    def text(key: str) -> str | None:
        return as_text(raw.get(key), key)

    return Payload(
        pagination=_pagination(raw.get("PG")),
        readings=_readings(raw.get("RD")),
        format_version=text("FV"),
        gateway_identification=text("GI"),
        gateway_serial=text("GS"),
        gateway_version=text("GV"),
        meter_vendor=text("MV"),
        meter_model=text("MM"),
        meter_serial=text("MS"),
        meter_firmware=text("MF"),
        identification_status=status,
        identification_level=text("IL") or draft_level,
        identification_flags=_text_list(raw.get("IF"), "IF"),
        identification_type=text("IT"),
        identification_data=text("ID"),
        tariff_text=text("TT"),
        charge_controller_firmware=text("CF"),
        loss_compensation=_loss_compensation(raw.get("LC")),
        charge_point_id_type=text("CT"),
        charge_point_id=text("CI"),
        extra={key: to_json_value(item) for key, item in raw.items() if key not in _PAYLOAD_KEYS},
    )
