"""The real Fetcher against a hostile HTTP server on loopback.

The server is a few lines of asyncio speaking raw HTTP/1.1, so that each route can misbehave
exactly as wanted: stall, drip, stream forever, inflate, redirect in circles. Timeouts and
limits are configured tiny so every test finishes in well under a second; nothing asserts on
elapsed time, only on what the fetcher reports and what the server saw.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from feeds.fetch import (
    USER_AGENT,
    Fetcher,
    FetchRequest,
    is_public_address,
    legacy_ipv4,
    parse_max_age,
    parse_retry_after,
)
from feeds.parse import parse_feed

DATA = Path(__file__).resolve().parent.parent / "data"
RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Local</title>'
    b"<link>http://example.org/</link><item><title>Hello</title><link>/a/1</link>"
    b"<description>First item</description></item></channel></rss>"
)
MiB = 1024 * 1024


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]


Writer = asyncio.StreamWriter
Handler = Callable[[Seen, Writer], Awaitable[None]]


@dataclass
class HostileServer:
    """Routes a path to a handler that writes whatever it likes on the socket."""

    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    port: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for s in self.seen if s.path == path)

    async def handle(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                seen = Seen(path, headers)
                self.seen.append(seen)
                handler = self.routes.get(path.split("?")[0], not_found)
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    await handler(seen, writer)
                finally:
                    self.in_flight -= 1
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


def respond(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> Callable[[Seen, Writer], Awaitable[None]]:
    async def handler(_seen: Seen, writer: Writer) -> None:
        all_headers = {"Content-Length": str(len(body)), "Content-Type": "application/rss+xml"}
        all_headers.update(headers or {})
        writer.write(_head(status, all_headers) + body)

    return handler


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def not_found(seen: Seen, writer: Writer) -> None:
    await respond(404, b"no such feed")(seen, writer)


@pytest.fixture
async def server() -> AsyncIterator[HostileServer]:
    hostile = HostileServer()
    srv = await asyncio.start_server(hostile.handle, "127.0.0.1", 0)
    hostile.port = srv.sockets[0].getsockname()[1]
    async with srv:
        yield hostile
        srv.close()


def fetcher(**limits: object) -> Fetcher:
    defaults: dict[str, object] = {
        "connect_timeout": 0.5,
        "read_timeout": 0.3,
        "total_timeout": 2.0,
        "max_bytes": MiB,
    }
    defaults.update(limits)
    return Fetcher(**defaults)  # type: ignore[arg-type]


# --- the happy path and politeness --------------------------------------------------------


async def test_feed_is_fetched_and_parses_with_a_descriptive_user_agent(
    server: HostileServer,
) -> None:
    server.routes["/feed"] = respond(200, RSS)
    async with fetcher() as f:
        result = await f.fetch(FetchRequest(server.url("/feed")))
    assert result.error_kind is None and result.status == 200 and result.body == RSS
    assert server.seen[0].headers["user-agent"] == USER_AGENT
    parsed = parse_feed(result.body, result.url, result.headers)
    assert [a.title for a in parsed.articles] == ["Hello"]
    assert parsed.articles[0].link == f"http://127.0.0.1:{server.port}/a/1"


async def test_second_request_is_conditional_and_a_304_keeps_the_validators(
    server: HostileServer,
) -> None:
    validators = {"ETag": '"v1"', "Last-Modified": "Sat, 25 Apr 2026 10:00:00 GMT"}

    async def conditional(seen: Seen, writer: Writer) -> None:
        if seen.headers.get("if-none-match") == '"v1"':
            writer.write(_head(304, {"ETag": '"v1"'}))
        else:
            await respond(200, RSS, validators)(seen, writer)

    server.routes["/feed"] = conditional
    async with fetcher() as f:
        first = await f.fetch(FetchRequest(server.url("/feed")))
        second = await f.fetch(
            FetchRequest(server.url("/feed"), etag=first.etag, last_modified=first.last_modified)
        )
    assert first.etag == '"v1"' and first.last_modified == validators["Last-Modified"]
    assert second.not_modified and second.body is None and second.error_kind is None
    assert second.etag == '"v1"' and second.last_modified == validators["Last-Modified"]
    assert server.seen[1].headers["if-none-match"] == '"v1"'
    assert server.seen[1].headers["if-modified-since"] == validators["Last-Modified"]


async def test_gzip_and_deflate_bodies_are_decoded(server: HostileServer) -> None:
    server.routes["/gz"] = respond(200, gzip.compress(RSS), {"Content-Encoding": "gzip"})
    server.routes["/deflate"] = respond(200, zlib.compress(RSS), {"Content-Encoding": "deflate"})
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    server.routes["/rawdeflate"] = respond(
        200, raw.compress(RSS) + raw.flush(), {"Content-Encoding": "deflate"}
    )
    async with fetcher() as f:
        for path in ("/gz", "/deflate", "/rawdeflate"):
            result = await f.fetch(FetchRequest(server.url(path)))
            assert result.body == RSS, path


async def test_cache_control_max_age_is_reported(server: HostileServer) -> None:
    server.routes["/feed"] = respond(200, RSS, {"Cache-Control": "public, max-age=900"})
    async with fetcher() as f:
        result = await f.fetch(FetchRequest(server.url("/feed")))
    assert result.max_age == 900


async def test_per_host_limit_bounds_parallel_requests_to_one_server(
    server: HostileServer,
) -> None:
    async def slowish(seen: Seen, writer: Writer) -> None:
        await asyncio.sleep(0.05)
        await respond(200, RSS)(seen, writer)

    server.routes["/feed"] = slowish
    async with fetcher(per_host=2) as f:
        results = await asyncio.gather(
            *(f.fetch(FetchRequest(server.url(f"/feed?n={i}"))) for i in range(8))
        )
    assert all(r.error_kind is None for r in results)
    assert server.max_in_flight <= 2


# --- servers that hurt --------------------------------------------------------------------


async def test_a_stalled_body_hits_the_read_timeout(server: HostileServer) -> None:
    async def stall(_seen: Seen, writer: Writer) -> None:
        writer.write(_head(200, {"Content-Length": "1000"}) + b"<rss")
        await writer.drain()
        await asyncio.sleep(5)

    server.routes["/slow"] = stall
    async with fetcher(read_timeout=0.2, total_timeout=3) as f:
        result = await f.fetch(FetchRequest(server.url("/slow")))
    assert result.error_kind == "timeout" and result.body is None
    assert "ReadTimeout" in (result.error or "")


async def test_a_dripping_server_hits_the_total_time_limit(server: HostileServer) -> None:
    async def drip(_seen: Seen, writer: Writer) -> None:
        writer.write(_head(200, {"Transfer-Encoding": "chunked"}))
        for _ in range(200):
            writer.write(b"1\r\nx\r\n")
            await writer.drain()
            await asyncio.sleep(0.02)  # always well inside the read timeout

    server.routes["/drip"] = drip
    async with fetcher(read_timeout=0.5, total_timeout=0.3) as f:
        result = await f.fetch(FetchRequest(server.url("/drip")))
    assert result.error_kind == "timeout"
    assert "0.3 s" in (result.error or "")


async def _endless(_seen: Seen, writer: Writer, chunk: bytes, total: int) -> None:
    sent = 0
    while sent < total:
        writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
        await writer.drain()  # raises once the client has hung up
        sent += len(chunk)
    writer.write(b"0\r\n\r\n")


async def test_a_100_mb_body_is_cut_off_with_bounded_memory(server: HostileServer) -> None:
    chunk = b"<item>" + b"x" * (64 * 1024) + b"</item>"

    async def huge(seen: Seen, writer: Writer) -> None:
        writer.write(_head(200, {"Transfer-Encoding": "chunked"}))
        await _endless(seen, writer, chunk, 100 * MiB)

    server.routes["/huge"] = huge
    async with fetcher(max_bytes=MiB) as f:
        tracemalloc.start()
        try:
            result = await f.fetch(FetchRequest(server.url("/huge")))
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.error_kind == "too_large" and result.body is None
    assert result.bytes_read < 4 * MiB  # stopped early, did not swallow the 100 MB
    assert peak < 16 * MiB


async def test_a_declared_oversize_body_is_refused_before_reading(
    server: HostileServer,
) -> None:
    async def declared(_seen: Seen, writer: Writer) -> None:
        writer.write(_head(200, {"Content-Length": str(100 * MiB)}) + b"x" * 1000)

    server.routes["/declared"] = declared
    async with fetcher(max_bytes=MiB) as f:
        result = await f.fetch(FetchRequest(server.url("/declared")))
    assert result.error_kind == "too_large" and result.bytes_read == 0


async def test_a_gzip_bomb_is_stopped_at_the_decompressed_limit(server: HostileServer) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MiB)
    bomb = b"".join(compressor.compress(zeros) for _ in range(200)) + compressor.flush()
    assert len(bomb) < 400 * 1024  # 200 MiB inflated, a few hundred KiB on the wire
    server.routes["/bomb"] = respond(200, bomb, {"Content-Encoding": "gzip"})
    async with fetcher(max_bytes=MiB) as f:
        tracemalloc.start()
        try:
            result = await f.fetch(FetchRequest(server.url("/bomb")))
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.error_kind == "too_large"
    assert peak < 8 * MiB


async def test_a_redirect_loop_ends_after_five_hops(server: HostileServer) -> None:
    server.routes["/a"] = respond(302, headers={"Location": "/b"})
    server.routes["/b"] = respond(301, headers={"Location": "/a"})
    async with fetcher() as f:
        result = await f.fetch(FetchRequest(server.url("/a")))
    assert result.error_kind == "redirects"
    assert len(server.seen) == 6  # the request and five redirects, then no more


async def test_redirects_are_followed_to_the_final_url(server: HostileServer) -> None:
    server.routes["/old"] = respond(301, headers={"Location": "/new"})
    server.routes["/new"] = respond(200, RSS)
    async with fetcher() as f:
        result = await f.fetch(FetchRequest(server.url("/old")))
    assert result.error_kind is None and result.url == server.url("/new")


@pytest.mark.parametrize(
    ("status", "kind"), [(500, "http_5xx"), (404, "http_404"), (410, "http_410")]
)
async def test_error_statuses_become_error_kinds(
    server: HostileServer, status: int, kind: str
) -> None:
    server.routes["/x"] = respond(status, b"oops")
    async with fetcher() as f:
        result = await f.fetch(FetchRequest(server.url("/x")))
    assert result.error_kind == kind and result.status == status
    assert str(status) in (result.error or "")


async def test_retry_after_is_reported_on_429_and_503(server: HostileServer) -> None:
    server.routes["/429"] = respond(429, headers={"Retry-After": "120"})
    server.routes["/503"] = respond(503, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    async with fetcher() as f:
        limited = await f.fetch(FetchRequest(server.url("/429")))
        unavailable = await f.fetch(FetchRequest(server.url("/503")))
    assert limited.error_kind == "http_429" and limited.retry_after == 120
    assert unavailable.error_kind == "http_5xx"
    assert unavailable.retry_after is not None and unavailable.retry_after > 86400


async def test_connection_refused_is_a_network_error() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    async with fetcher() as f:
        result = await f.fetch(FetchRequest(f"http://127.0.0.1:{port}/feed"))
    assert result.error_kind == "network" and result.status is None


async def test_one_hanging_feed_does_not_hold_up_the_others(server: HostileServer) -> None:
    async def hang(_seen: Seen, _writer: Writer) -> None:
        await asyncio.sleep(10)

    server.routes["/hang"] = hang
    server.routes["/feed"] = respond(200, RSS)
    urls = [server.url("/hang")] + [server.url(f"/feed?n={i}") for i in range(30)]
    async with fetcher(per_host=8, max_in_flight=8, read_timeout=0.5, total_timeout=1) as f:
        results = await asyncio.gather(*(f.fetch(FetchRequest(u)) for u in urls))
    assert results[0].error_kind == "timeout"
    assert all(r.error_kind is None and r.body == RSS for r in results[1:])


# --- bodies that hurt the parser -----------------------------------------------------------


async def test_html_instead_of_a_feed_is_not_a_feed(server: HostileServer) -> None:
    page = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body>hi</body></html>"
    server.routes["/page"] = respond(200, page, {"Content-Type": "text/html; charset=utf-8"})
    async with fetcher() as f:
        result = await f.fetch(FetchRequest(server.url("/page")))
    assert result.error_kind is None and result.body is not None
    parsed = parse_feed(result.body, result.url, result.headers)
    assert not parsed.is_feed and parsed.articles == ()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b' <!ENTITY big "'
    + b"A" * 50_000
    + b'">\n <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
    + b'<rss version="2.0"><channel><title>Bomb</title><item><title>&lol9;&xxe;</title>'
    + b"<description>"
    + b"&big;" * 20_000
    + b"</description><link>http://example.org/bomb</link></item></channel></rss>"
)


async def test_entity_bombs_and_xxe_are_not_expanded(server: HostileServer) -> None:
    server.routes["/bomb.xml"] = respond(200, BILLION_LAUGHS)
    async with fetcher() as f:
        result = await f.fetch(FetchRequest(server.url("/bomb.xml")))
    assert result.body is not None
    tracemalloc.start()
    try:
        parsed = parse_feed(result.body, result.url, result.headers)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * MiB  # expanded, the description alone would be 1 GB
    (article,) = parsed.articles
    assert "lollol" not in article.title and "root:" not in article.title
    assert len(article.teaser) <= 300


async def test_items_with_script_and_raw_ampersands_come_out_clean(
    server: HostileServer,
) -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>Tom & Jerry <script>alert(1)</script>win</title>"
        b"<description><![CDATA[<p>Cats & dogs<script>document.cookie</script></p>]]>"
        b"</description><link>http://example.org/x?a=1&b=2</link></item></channel></rss>"
    )
    server.routes["/amp"] = respond(200, body)
    async with fetcher() as f:
        result = await f.fetch(FetchRequest(server.url("/amp")))
    assert result.body is not None
    parsed = parse_feed(result.body, result.url, result.headers)
    (article,) = parsed.articles
    assert "script" not in article.title and "alert" not in article.title
    assert article.title.startswith("Tom & Jerry")
    assert article.teaser == "Cats & dogs"
    assert article.link == "http://example.org/x?a=1&b=2"


# --- the address guard -------------------------------------------------------------------


async def test_untrusted_requests_may_not_reach_loopback_or_metadata(
    server: HostileServer,
) -> None:
    server.routes["/feed"] = respond(200, RSS)
    async with fetcher() as f:
        loopback = await f.fetch(FetchRequest(server.url("/feed"), trusted=False))
        by_name = await f.fetch(FetchRequest(server.url("/feed", "localhost"), trusted=False))
        v6 = await f.fetch(FetchRequest(f"http://[::ffff:127.0.0.1]:{server.port}/", trusted=False))
        metadata = await f.fetch(
            FetchRequest("http://169.254.169.254/latest/meta-data/", trusted=False)
        )
        local_file = await f.fetch(FetchRequest("file:///etc/passwd", trusted=False))
        trusted = await f.fetch(FetchRequest(server.url("/feed"), trusted=True))
    for refused in (loopback, by_name, v6, metadata):
        assert refused.error_kind == "blocked_address", refused
    assert local_file.error_kind == "bad_scheme"
    assert trusted.error_kind is None and trusted.body == RSS
    assert len(server.seen) == 1  # only the trusted request got through


def _fake_dns(table: dict[str, list[str]]) -> Callable[[str, int], Awaitable[list[str]]]:
    async def resolve(host: str, _port: int) -> list[str]:
        if host not in table:
            raise OSError(f"unknown host {host}")
        return table[host]

    return resolve


def _loopback_plays_internet(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """The test's stand-in for the public internet is 127.0.0.1 (and only that address)."""
    return str(address) == "127.0.0.1" or is_public_address(address)


async def test_a_redirect_from_a_public_hop_to_a_private_address_is_refused(
    server: HostileServer,
) -> None:
    dns = {
        "news.example": ["127.0.0.1"],
        "intranet.example": ["192.168.1.10"],
        "rebind.example": ["127.0.0.1", "10.0.0.1"],
        "localhost.example": ["127.0.0.2"],
    }
    server.routes["/feed"] = respond(200, RSS)
    server.routes["/to-intranet"] = respond(
        302, headers={"Location": f"http://intranet.example:{server.port}/feed"}
    )
    server.routes["/to-metadata"] = respond(
        302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    server.routes["/to-file"] = respond(302, headers={"Location": "file:///etc/passwd"})
    server.routes["/to-loopback"] = respond(
        302, headers={"Location": f"http://localhost.example:{server.port}/feed"}
    )
    server.routes["/to-v6-loopback"] = respond(
        307, headers={"Location": f"http://[::1]:{server.port}/feed"}
    )
    async with fetcher(
        resolver=_fake_dns(dns),
        address_allowed=_loopback_plays_internet,
        allowed_ports=frozenset({80, 443, server.port}),
    ) as f:

        async def untrusted(url: str) -> str | None:
            return (await f.fetch(FetchRequest(url, trusted=False))).error_kind

        # The name is resolved by the guard and the socket goes to the checked address.
        assert await untrusted(server.url("/feed", "news.example")) is None
        assert server.seen[-1].headers["host"] == f"news.example:{server.port}"
        assert await untrusted(server.url("/to-intranet", "news.example")) == "blocked_address"
        assert await untrusted(server.url("/to-metadata", "news.example")) == "blocked_address"
        assert await untrusted(server.url("/to-file", "news.example")) == "bad_scheme"
        assert await untrusted(server.url("/to-loopback", "news.example")) == "blocked_address"
        assert await untrusted(server.url("/to-v6-loopback", "news.example")) == "blocked_address"
        assert await untrusted(server.url("/feed", "rebind.example")) == "blocked_address"
        assert await untrusted(server.url("/feed", "nowhere.example")) == "network"
    # Every refused hop was refused before a connection: the server saw only the first hops.
    assert [s.path for s in server.seen] == [
        "/feed",
        "/to-intranet",
        "/to-metadata",
        "/to-file",
        "/to-loopback",
        "/to-v6-loopback",
    ]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:0:7f00:1",  # IPv4-translated
        "::127.0.0.1",  # IPv4-compatible
        "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
        "64:ff9b::c0a8:1",  # NAT64 of 192.168.0.1
        "64:ff9b:1::808:808",  # local-use NAT64 prefix: the operator's own network
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo (client 192.0.2.45)
    ],
)
def test_non_public_addresses_in_every_spelling_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "8.8.8.8", "2a00:1450:4001:80e::200e", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8"],
)
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("169.254.43518", "169.254.169.254"),
        ("news.example", None),
        ("1.2.3.4.5", None),
        ("256.0.0.1", None),
        ("1_0.0.0.1", None),
        ("0x", None),
    ],
)
def test_legacy_ipv4_spellings_are_read_as_the_resolver_would(
    host: str, address: str | None
) -> None:
    expected = ipaddress.IPv4Address(address) if address else None
    assert legacy_ipv4(host) == expected


async def test_every_spelling_of_a_private_address_is_refused_before_connecting(
    server: HostileServer,
) -> None:
    """The whole class, through the real fetcher: literals, userinfo, dots, IPv6 forms."""
    server.routes["/feed"] = respond(200, RSS)
    port = server.port
    urls = [
        f"http://2130706433:{port}/feed",
        f"http://0x7f.1:{port}/feed",
        f"http://127.1:{port}/feed",
        f"http://127.0.0.1.:{port}/feed",
        f"http://evil.example@127.0.0.1:{port}/feed",
        f"http://0.0.0.0:{port}/feed",
        f"http://[::]:{port}/feed",
        f"http://[::127.0.0.1]:{port}/feed",
        f"http://[::ffff:7f00:1]:{port}/feed",
        f"http://[64:ff9b::7f00:1]:{port}/feed",
        f"http://[2002:7f00:1::1]:{port}/feed",
    ]
    # The test server's port is allowed here, so that only the address decides.
    async with fetcher(allowed_ports=frozenset({80, 443, port})) as f:
        results = [await f.fetch(FetchRequest(url, trusted=False)) for url in urls]
    for url, result in zip(urls, results, strict=True):
        assert result.error_kind in ("blocked_address", "bad_url"), (url, result)
    assert server.seen == []


async def test_untrusted_feeds_may_use_only_the_allowed_ports(server: HostileServer) -> None:
    server.routes["/feed"] = respond(200, RSS)
    dns = {"news.example": ["127.0.0.1"]}
    url = server.url("/feed", "news.example")
    common = {"resolver": _fake_dns(dns), "address_allowed": _loopback_plays_internet}
    async with fetcher(**common) as f:
        refused = await f.fetch(FetchRequest(url, trusted=False))
        redirected = await f.fetch(FetchRequest(url, trusted=True))
    async with fetcher(**common, allowed_ports=frozenset({80, 443, server.port})) as f:
        allowed = await f.fetch(FetchRequest(url, trusted=False))
    assert refused.error_kind == "blocked_address" and f"port {server.port}" in (
        refused.error or ""
    )
    assert allowed.error_kind is None and allowed.body == RSS
    assert redirected.error_kind == "network"  # trusted: no guard, and no such name in DNS


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: retry now
        ("Thu, 01 Jan 1970 00:02:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_retry_after_date_counts_from_now() -> None:
    assert parse_retry_after("Thu, 01 Jan 1970 01:00:00 GMT", now=0.0) == 3600.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("max-age=300", 300.0),
        ("public, max-age=900, must-revalidate", 900.0),
        ('max-age="60"', 60.0),
        ("s-maxage=100", None),
        ("no-store, max-age=300", None),
        ("no-cache", None),
        (None, None),
    ],
)
def test_max_age_values(value: str | None, seconds: float | None) -> None:
    assert parse_max_age(value) == seconds
