"""What verification answers: a signature check, and the verdict on a record or a session."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .ocmf.model import Reading


class SignedDataFormat(StrEnum):
    """The signed meter data formats this service reads (names as in the conformance vectors)."""

    OCMF = "OCMF"
    OCMF_HEX = "OCMF (hex)"
    ALFEN = "ALFEN"
    EDL40_SIG = "EDL40_SIG"
    PCDF = "PCDF"


@dataclass(frozen=True)
class SignatureCheck:
    """Whether a signature is valid for the exact signed bytes and the given key, and if not why."""

    valid: bool
    reason: str | None = None

    @classmethod
    def ok(cls) -> SignatureCheck:
        return cls(valid=True)

    @classmethod
    def failed(cls, reason: str) -> SignatureCheck:
        return cls(valid=False, reason=reason)


class Outcome(StrEnum):
    VERIFIED = "verified"
    INVALID = "invalid"
    UNSIGNED = "unsigned"
    """There is no signature to check: nothing can be claimed under calibration law."""


@dataclass(frozen=True)
class Verdict:
    """The verifier's answer for a record or a session; ``reason`` says why when not verified."""

    outcome: Outcome
    reason: str | None = None
    begin: Reading | None = None
    """The begin reading of the billed register (the first register the transaction begins with)."""
    end: Reading | None = None
    notes: tuple[str, ...] = ()
    """Facts worth showing that do not make the data invalid (e.g. an unsynchronised clock)."""

    @property
    def verified(self) -> bool:
        return self.outcome is Outcome.VERIFIED

    @property
    def energy(self) -> Decimal | None:
        """End minus begin value, in the begin reading's unit, when both are known."""
        if self.begin is None or self.end is None or self.begin.value is None or self.end.value is None:
            return None
        return self.end.value - self.begin.value
