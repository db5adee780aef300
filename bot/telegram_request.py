"""The Bot API connection over aiohttp's client, for the requests that carry alerts.

PTB's own HTTPXRequest costs about 2.3 ms of CPU per sendMessage here (httpx and httpcore:
anyio layers, and a connection pool that checks every idle connection on every request),
so a whole core tops out near 430 messages/s; paid broadcasts go up to 1,000/s. The same
requests through aiohttp (already ours, for the health server) cost about 0.45 ms. PTB's
answer handling (errors, RetryAfter, the JSON) stays PTB's: only the HTTP exchange is here.
"""

from __future__ import annotations

import json

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_TimeoutArg = float | None | object  # PTB's DEFAULT_NONE or a number of seconds (None: none)


class AiohttpRequest(BaseRequest):
    """A BaseRequest over one aiohttp ClientSession with up to ``pool_size`` connections.

    Timeouts as PTB's HTTPXRequest has them by default: 5 s to connect, 5 s to read, 1 s
    waiting for a free connection (PTB calls that a pool timeout: nothing was sent).
    """

    def __init__(
        self,
        *,
        pool_size: int = 256,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                # PTB decides what an answer means; aiohttp must not raise on 4xx/5xx.
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: _TimeoutArg = BaseRequest.DEFAULT_NONE,
        write_timeout: _TimeoutArg = BaseRequest.DEFAULT_NONE,
        connect_timeout: _TimeoutArg = BaseRequest.DEFAULT_NONE,
        pool_timeout: _TimeoutArg = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = _seconds(read_timeout, self._read_timeout)
        connect = _seconds(connect_timeout, self._connect_timeout)
        pool = _seconds(pool_timeout, self._pool_timeout)
        # aiohttp's `connect` covers waiting for a pooled connection and opening one.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        headers = {"User-Agent": self.USER_AGENT}
        data: aiohttp.FormData | bytes | None = None
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
            else:
                # One JSON body (the Bot API takes application/json for everything but
                # uploads): C-encoded, where a form quoted every character in Python.
                data = json.dumps(request_data.parameters, ensure_ascii=False).encode()
                headers["Content-Type"] = "application/json"
        try:
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # The class name tells a refused connection from a dropped one when the text is empty.
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _seconds(value: _TimeoutArg, default: float | None) -> float | None:
    if isinstance(value, (int, float)) or value is None:
        return None if value is None else float(value)
    return default
