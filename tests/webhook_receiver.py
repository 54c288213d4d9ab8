"""A real HTTP receiver for webhook tests: uvicorn on 127.0.0.1, answering from a script."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from tests.conftest import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each request with the next of ``script`` (status, extra headers, delay), then
    ``then``; records what came."""

    script: list[tuple[int, dict[str, str], float]] = field(default_factory=list)
    then: int = 200
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    def answer(self, *statuses: int, headers: dict[str, str] | None = None, delay: float = 0):
        self.script.extend((s, headers or {}, delay) for s in statuses)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append(
            Received(
                scope["path"],
                {k.decode().lower(): v.decode() for k, v in scope["headers"]},
                body,
            )
        )
        status, headers, delay = self.script.pop(0) if self.script else (self.then, {}, 0)
        if delay:
            await asyncio.sleep(delay)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})

    async def start(self) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            self, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        self._server.force_exit = True
        await asyncio.wait_for(self._task, timeout=10)
