"""Outgoing OSCP 2.0 requests: one POST per message, ``Authorization: Token``, ``X-Request-ID``, 204 expected."""

from __future__ import annotations

import uuid

import aiohttp
import structlog
from pydantic import BaseModel

log = structlog.get_logger("ems_adapter.oscp_client")


class OscpRequestFailed(Exception):
    """The provider did not accept a message (no answer, or not 204)."""


class OscpClient:
    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def send(
        self, base_url: str, token: str, message: str, body: BaseModel, *, correlation_id: str | None = None
    ) -> None:
        """POST ``body`` to ``{base_url}/{message}``; raises :class:`OscpRequestFailed` unless answered 204."""
        request_id = str(uuid.uuid4())
        headers = {"Authorization": f"Token {token}", "X-Request-ID": request_id, "Content-Type": "application/json"}
        if correlation_id is not None:
            headers["X-Correlation-ID"] = correlation_id
        url = f"{base_url.rstrip('/')}/{message}"
        try:
            async with self._session.post(url, data=body.model_dump_json(exclude_none=True), headers=headers) as answer:
                if answer.status != 204:
                    text = (await answer.text())[:300]
                    raise OscpRequestFailed(f"{message}: HTTP {answer.status} {text}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OscpRequestFailed(f"{message}: {exc.__class__.__name__} {exc}") from exc
        log.info("oscp.sent", message=message, request_id=request_id, url=url)
