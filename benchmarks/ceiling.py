"""The smallest HTTP app uvicorn can serve: it answers every request with the same 100-byte JSON.

P2 loads it with the same client, concurrency and duration as the real servers: its requests per second
and latency are the ceiling this machine and client allow any Python server (what the load client
itself costs is in every figure), which puts the p99 target in context.
"""

from __future__ import annotations

from typing import Any

BODY = b'{"records":[],"note":"calibration: the smallest uvicorn app, no routing, no database, no work"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": message["type"] + ".complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
