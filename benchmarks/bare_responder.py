"""The baseline: a minimal aiohttp websocket server answering OCPP-J CALLs with orjson, nothing else."""

from __future__ import annotations

import sys

import orjson
from aiohttp import WSMsgType, web


async def respond(request: web.Request) -> web.WebSocketResponse:
    socket = web.WebSocketResponse(protocols=("ocpp1.6",), compress=False)
    await socket.prepare(request)
    async for message in socket:
        if message.type != WSMsgType.TEXT:
            break
        frame = orjson.loads(message.data)
        await socket.send_str(orjson.dumps([3, frame[1], {}]).decode())
    return socket


def main() -> None:
    app = web.Application()
    app.router.add_get("/ocpp/{charge_point_id}", respond)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
