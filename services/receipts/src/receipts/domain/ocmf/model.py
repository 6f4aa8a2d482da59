"""OCMF records as typed, immutable values (field names follow the spec's tables 1-8, 24).

Numbers are ``Decimal`` built from the exact JSON text, and every record keeps the payload bytes
it was signed over: the spec forbids re-serialising ("the representation must not be
transformed"), so nothing here is ever turned back into JSON for verification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

JsonValue = str | Decimal | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
"""A JSON value as the parser keeps unknown fields: numbers as ``Decimal``, never float."""

DEFAULT_SIGNATURE_ALGORITHM = "ECDSA-secp256r1-SHA256"  # the default since OCMF 0.4
DEFAULT_SIGNATURE_ENCODING = "hex"
DEFAULT_SIGNATURE_MIME_TYPE = "application/x-der"


class TimeSync(StrEnum):
    """Synchronisation state after the time (table 19)."""

    UNSYNCHRONIZED = "U"
    INFORMATIVE = "I"
    SYNCHRONIZED = "S"
    RELATIVE = "R"
    """Duration kept to calibration-law accuracy from an informative start time."""


class ReadingReason(StrEnum):
    """Why the reading was taken (``TX``)."""

    BEGIN = "B"
    CHARGING = "C"
    EXCEPTION = "X"
    """Error during charging: time and/or energy are unusable from this reading on."""
    END = "E"
    LOCAL_STOP = "L"
    REMOTE_STOP = "R"
    ABORT = "A"
    POWER_FAILURE = "P"
    SUSPENDED = "S"
    TARIFF_CHANGE = "T"

    @property
    def ends_transaction(self) -> bool:
        return self in _END_REASONS


# E, or one of the "more precise codes" the spec offers instead of it.
_END_REASONS = frozenset("ELRAP")


class MeterStatus(StrEnum):
    """State of the meter at the reading (``ST``, table 10); only ``G`` is good."""

    NOT_PRESENT = "N"
    OK = "G"
    TIMEOUT = "T"
    DISCONNECTED = "D"
    NOT_FOUND = "R"
    MANIPULATED = "M"
    EXCHANGED = "X"
    INCOMPATIBLE = "I"
    OUT_OF_RANGE = "O"
    SUBSTITUTE = "S"
    OTHER_ERROR = "E"
    READ_ERROR = "F"


@dataclass(frozen=True)
class MeterTime:
    """``TM``: the meter's clock, e.g. ``2018-07-24T13:22:04,000+0200 S``."""

    at: datetime
    """Timezone-aware, millisecond resolution."""
    sync: TimeSync
    text: str


@dataclass(frozen=True)
class Pagination:
    """``PG``: a context letter (``T`` transaction, ``F`` fiscal) and a counter, e.g. ``T32``."""

    text: str
    context: str | None = None
    number: int | None = None
    """None (with ``context``) when the text is not ``<letter><number>``, as some fixtures write it."""


@dataclass(frozen=True)
class LossCompensation:
    """``LC``: the charging cable's resistance used for loss compensation (table 24)."""

    resistance: Decimal  # LR
    unit: str  # LU: mOhm or uOhm
    name: str | None = None  # LN
    identification: Decimal | None = None  # LI


@dataclass(frozen=True)
class Reading:
    """One element of ``RD``, with the fields omitted as "same as the previous reading" filled in."""

    time: MeterTime | None  # TM
    reason: ReadingReason | None  # TX; None outside a transaction (fiscal metering)
    value: Decimal | None  # RV; None when the reading only reports an event
    value_text: str | None
    """The value exactly as signed (padding stripped), for display: ``0.25960`` is not ``0.2596``."""
    register: str | None  # RI, an OBIS code
    unit: str | None  # RU
    current_type: str | None = None  # RT: AC or DC
    cumulated_loss: Decimal | None = None  # CL
    error_flags: str = ""  # EF: "E" energy, "t" time unusable
    status: MeterStatus | None = None  # ST
    extra: Mapping[str, JsonValue] = field(default_factory=dict)
    """Vendor and draft fields (``EI``, ``XV``, ``UC``...) as read."""
    inherited: frozenset[str] = frozenset()
    """Spec keys taken over from the previous reading because this one omitted them."""

    def summary(self) -> dict[str, str | None]:
        """What a person checks on a receipt, the value as signed (``0.25960`` stays ``0.25960``)."""
        return {
            "time": self.time.at.isoformat(timespec="milliseconds") if self.time else None,
            "time_sync": self.time.sync.value if self.time else None,
            "reason": self.reason.value if self.reason else None,
            "value": self.value_text,
            "unit": self.unit,
            "register": self.register,
            "status": self.status.value if self.status else None,
            "error_flags": self.error_flags,
        }


@dataclass(frozen=True)
class Payload:
    """The signed payload section (tables 1-7)."""

    pagination: Pagination  # PG
    readings: tuple[Reading, ...]  # RD
    format_version: str | None = None  # FV
    gateway_identification: str | None = None  # GI
    gateway_serial: str | None = None  # GS
    gateway_version: str | None = None  # GV
    meter_vendor: str | None = None  # MV
    meter_model: str | None = None  # MM
    meter_serial: str | None = None  # MS
    meter_firmware: str | None = None  # MF
    identification_status: bool | None = None  # IS
    identification_level: str | None = None  # IL
    identification_flags: tuple[str, ...] = ()  # IF
    identification_type: str | None = None  # IT
    identification_data: str | None = None  # ID
    tariff_text: str | None = None  # TT
    charge_controller_firmware: str | None = None  # CF
    loss_compensation: LossCompensation | None = None  # LC
    charge_point_id_type: str | None = None  # CT
    charge_point_id: str | None = None  # CI
    extra: Mapping[str, JsonValue] = field(default_factory=dict)
    """Vendor extensions (top-level keys starting U-Z) and fields of OCMF drafts."""


@dataclass(frozen=True)
class Signature:
    """The signature section (table 8); it is not signed itself."""

    data: str | None  # SD; None means the record is unsigned
    algorithm: str = DEFAULT_SIGNATURE_ALGORITHM  # SA
    encoding: str = DEFAULT_SIGNATURE_ENCODING  # SE: hex or base64
    mime_type: str = DEFAULT_SIGNATURE_MIME_TYPE  # SM
    extra: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True)
class OcmfSections:
    """An OCMF string split into what was signed and the (unsigned) signature section."""

    signed_bytes: bytes
    """The payload section, byte for byte: exactly what the meter signed."""
    signature: Signature
    hex_encoded: bool = False
    """The whole string arrived hex-encoded, as some charge points send it."""


@dataclass(frozen=True)
class OcmfRecord:
    """A parsed OCMF record: typed payload plus the bytes its signature covers."""

    sections: OcmfSections
    payload: Payload

    @property
    def signed_bytes(self) -> bytes:
        return self.sections.signed_bytes

    @property
    def signature(self) -> Signature:
        return self.sections.signature
