"""OCMF (Open Charge Metering Format, SAFE e.V.): the typed record and its parser."""

from .fields import OcmfParseError
from .model import (
    DEFAULT_SIGNATURE_ALGORITHM,
    LossCompensation,
    MeterStatus,
    MeterTime,
    OcmfRecord,
    OcmfSections,
    Pagination,
    Payload,
    Reading,
    ReadingReason,
    Signature,
    TimeSync,
)
from .parser import parse_ocmf, split_ocmf

__all__ = [
    "DEFAULT_SIGNATURE_ALGORITHM",
    "LossCompensation",
    "MeterStatus",
    "MeterTime",
    "OcmfParseError",
    "OcmfRecord",
    "OcmfSections",
    "Pagination",
    "Payload",
    "Reading",
    "ReadingReason",
    "Signature",
    "TimeSync",
    "parse_ocmf",
    "split_ocmf",
]
