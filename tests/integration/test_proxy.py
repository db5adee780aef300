"""TELEGRAM_PROXY carries the Bot API connection and nothing else: feeds are fetched directly."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.fakes import FakeBotAPI, FeedServer
from tests.integration.harness import eventually, make_settings
from tests.integration.test_service import SEED, _up, serving


class _Forward(BaseHTTPRequestHandler):
    """A forward proxy for plain HTTP: absolute-form request in, the target's answer out."""

    server: _ProxyServer

    def _forward(self) -> None:
        self.server.seen.append(self.path)
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in {"proxy-connection"}}
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream.request(self.command, path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            payload = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in {"transfer-encoding", "connection", "content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _forward
    do_POST = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.seen: list[str] = []


@pytest.fixture
def proxy() -> Iterator[_ProxyServer]:
    server = _ProxyServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


async def test_only_the_bot_api_goes_through_the_proxy(tmp_path: Path, proxy: _ProxyServer) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        url = feeds.set_feed("/krone.xml", SEED.read_bytes())
        settings = make_settings(
            api.base_url,
            tmp_path,
            [url],
            HTTP_LISTEN="127.0.0.1:0",
            TELEGRAM_PROXY=f"http://127.0.0.1:{proxy.server_address[1]}",
        )
        async with serving(settings) as service:
            await _up(service)
            assert await eventually(lambda: feeds.count("/krone.xml") >= 1)
            assert await eventually(lambda: any("/getUpdates" in p for p in proxy.seen))
    assert any(p.endswith("/getMe") for p in proxy.seen)
    assert not [p for p in proxy.seen if "/krone.xml" in p]
