"""Connect a simulated charge point to a gateway over aiohttp's websocket client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp


class ClientConnection:
    """``recv``/``send`` for the ``ocpp`` package over an aiohttp client websocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket

    async def recv(self) -> str:
        message = await self.socket.receive()
        if message.type == aiohttp.WSMsgType.TEXT:
            return str(message.data)
        raise ConnectionError(f"websocket closed: {message.type.name} {self.socket.close_code}")

    async def send(self, message: str) -> None:
        await self.socket.send_str(message)


@asynccontextmanager
async def open_socket(
    base_url: str, charge_point_id: str, password: str, subprotocol: str
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A websocket to ``{base_url}/ocpp/{id}`` with Basic auth (security profile 1)."""
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{base_url.rstrip('/')}/ocpp/{charge_point_id}",
            protocols=(subprotocol,),
            headers={"Authorization": aiohttp.encode_basic_auth(charge_point_id, password)},
            autoping=True,
            compress=0,
        ) as socket,
    ):
        yield socket
