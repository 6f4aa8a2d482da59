"""Receipts as the S.A.F.E. Transparenzsoftware reads them: its XML container.

The container (SAFE-eV/transparenzsoftware, ``XML_Format.md`` and its JAXB classes
``verification/xml``): ``<values>`` holds one ``<value transactionId=".." context="..">`` per
signed dataset, each with ``<signedData format=".." encoding="..">`` and an optional
``<publicKey encoding="..">``. ``transactionId`` is an integer (a ``BigInteger`` there) that pairs
the begin and end datasets of one transaction; ``format`` names its verifier (``OCMF``,
``ALFEN``, ``EDL_40_SIG``, ``PCDF``); ``encoding`` is ``plain``, ``hex``, ``base64`` or
``base32``. The data must not carry whitespace around it, and is written exactly as the
meter produced it; only XML escaping is added, which a parser removes again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .crypto.keys import KeyEncodingError, key_encoding
from .signatures import UnknownFormat
from .signed_data import Transport, meter_data
from .verification import CapturedValue, context_of, context_rank

# Characters XML 1.0 cannot carry at all, not even escaped.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class ExportValue:
    """One signed dataset of a receipt, ready to be written."""

    context: str
    format: str
    encoding: str
    text: str


def export_value(context: str, format_: str, transport: Transport, text: str) -> ExportValue:
    """The dataset as sent; text XML cannot hold is written hex-encoded, which the reader decodes."""
    if transport is Transport.PLAIN and _NOT_XML.search(text):
        return ExportValue(context, format_, Transport.HEX.value, text.encode("utf-8").hex().upper())
    return ExportValue(context, format_, transport.value, text)


def receipt_values(values: Sequence[CapturedValue]) -> list[ExportValue]:
    """The datasets of a receipt's values, begin first; a value that is no signed data at all is left out."""
    exported = []
    for value in values:
        try:
            data = meter_data(value.signed_meter_data, public_key=value.public_key)
        except UnknownFormat:
            continue
        context = context_of(value.context, data)
        exported.append(export_value(context, data.transparency_format, data.transport, data.text))
    return sorted(exported, key=lambda value: context_rank(value.context))


def _text(value: str) -> str:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A parser turns a raw CR (or CRLF) into LF; a character reference keeps it.
    return escaped.replace("\r", "&#13;")


def _attribute(value: str) -> str:
    escaped = _text(value).replace('"', "&quot;")
    return escaped.replace("\n", "&#10;").replace("\t", "&#9;")


def transparency_xml(transaction_id: int, values: Sequence[ExportValue], public_key: str | None) -> str:
    """The Transparenzsoftware's XML container for one transaction's datasets."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<values>"]
    key = ""
    if public_key is not None:
        try:
            encoding = key_encoding(public_key)
        except KeyEncodingError:
            encoding = "plain"  # shown as it is; the reader reports it as unusable
        key = f'<publicKey encoding="{encoding}">{_text(public_key.strip())}</publicKey>'
    for value in values:
        lines.append(f'  <value transactionId="{transaction_id}" context="{_attribute(value.context)}">')
        lines.append(
            f'    <signedData format="{_attribute(value.format)}" encoding="{value.encoding}">'
            f"{_text(value.text)}</signedData>"
        )
        if key:
            lines.append(f"    {key}")
        lines.append("  </value>")
    lines.append("</values>")
    return "\n".join(lines) + "\n"
