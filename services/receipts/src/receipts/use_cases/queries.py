"""What operators (and later drivers) read: receipts with their signed records, and the exports."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from receipts.domain.export import ExportValue, receipt_values, transparency_xml
from receipts.domain.verification import CapturedValue
from receipts.repository import receipts as receipts_repo
from receipts.repository.receipts import ReceiptRow
from receipts.repository.records import StoredRecord, records_by_id


class ReceiptNotFound(Exception):
    """No receipt (of that version) has been issued for the session."""


@dataclass(frozen=True)
class ReceiptDetail:
    receipt: ReceiptRow
    versions: list[int]
    records: list[StoredRecord]
    """The signed records the receipt was issued from, exactly as stored."""

    @property
    def export_values(self) -> list[ExportValue]:
        return receipt_values([CapturedValue(r.id, r.context, r.signed_meter_data, r.public_key) for r in self.records])

    def transparency_xml(self) -> str:
        """The Transparenzsoftware's XML container: every signed dataset with the meter's key."""
        return transparency_xml(self.receipt.transaction_number, self.export_values, self.receipt.public_key)


class ReceiptQueries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def receipt(self, session_id: uuid.UUID, version: int | None = None) -> ReceiptDetail:
        """The session's current receipt (or the given version); :class:`ReceiptNotFound` when there is none."""
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            versions = await receipts_repo.versions_of(conn, session_id)
            if not versions or (version is not None and version not in versions):
                raise ReceiptNotFound(str(session_id))
            receipt = await receipts_repo.receipt_version(conn, session_id, version or versions[-1])
            assert receipt is not None
            return ReceiptDetail(receipt, versions, await records_by_id(conn, receipt.record_ids))

    async def newest(self, *, charge_point_id: str | None, status: str | None, limit: int) -> list[ReceiptRow]:
        async with self._pool.acquire() as conn:
            return await receipts_repo.newest_receipts(
                conn, charge_point_id=charge_point_id, status=status, limit=limit
            )
