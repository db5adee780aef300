"""Fetch feed documents over HTTP politely, boundedly and safely (the `fetch` pipeline stage).

One `Fetcher` holds the shared `httpx.AsyncClient`s and the concurrency limits; `fetch` turns
a `FetchRequest` into a `FetchResult` and never raises for anything the network or a server
can do: timeouts, refused connections, 4xx/5xx, redirect loops, oversized or gzip-bomb bodies
all come back as `error_kind` / `error` on the result.

Defences, in the order a request meets them:

- http/https only; every redirect hop is followed here (at most `max_redirects`) so each hop is
  checked like the first;
- a per-host semaphore (politeness) and a global one (resources), then a total deadline;
- for untrusted requests (feeds added from the chat) an address guard inside the connection
  layer: only ports 80, 443 and the operator's `allowed_ports`; the host name is resolved
  once, every address must be global (no loopback, private, link-local such as
  169.254.169.254, multicast, unspecified), and the socket connects to the very address that
  was checked, so DNS rebinding between check and connect is impossible. An IPv6 address that
  carries an IPv4 one (mapped, NAT64, 6to4, Teredo, IPv4-compatible) is judged by the IPv4
  address it carries, and the legacy IPv4 spellings that `inet_aton` accepts (`2130706433`,
  `0x7f.1`, `127.1`, a trailing dot) are read as the address they spell, never passed on.
  TLS still verifies the certificate against the host name. Proxies from the environment are
  ignored (`trust_env=False`), since a proxy would make the guard check the wrong address;
- the body is read raw and decompressed here with a bound on the output of every step, so a
  gzip bomb costs at most `max_bytes` of memory, never the size it would inflate to.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import re
import socket
import time
import zlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from types import TracebackType
from typing import Any, Self

import httpcore
import httpx

__all__ = [
    "DEFAULT_ALLOWED_PORTS",
    "USER_AGENT",
    "AddressAllowed",
    "BlockedAddressError",
    "FetchRequest",
    "FetchResult",
    "Fetcher",
    "Resolver",
    "embedded_ipv4",
    "is_public_address",
    "legacy_ipv4",
    "parse_max_age",
    "parse_retry_after",
]

USER_AGENT = "newsbot/0.1 (+https://github.com/newsbot; Telegram news alerts)"

DEFAULT_ALLOWED_PORTS = frozenset({80, 443})
"""The ports an untrusted feed may use unless the operator allows more: a port is how a
request reaches an internal service (SSH, Redis, an admin panel) on an otherwise public host."""

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ALLOWED_SCHEMES = frozenset({"http", "https"})
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)
_KEEPALIVE = 20
_MAX_HOST_CLIENTS = 512
"""Hosts whose connections are kept between polls; the least recently used go first."""
# Only encodings this module can decompress with a bound on the output.
_ACCEPT_ENCODING = "gzip, deflate"
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|[,\s])(?:no-store|no-cache)(?:$|[,\s=])", re.IGNORECASE)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""`(host, port) -> IP address strings`, the DNS step of the address guard (injectable)."""
AddressAllowed = Callable[[IPAddress], bool]
"""Whether an untrusted request may connect to this address (injectable)."""


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One feed to fetch, with the validators stored from its last full response."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    trusted: bool = True
    """False for feeds added from the chat: the address guard applies to every hop."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What came back, or why nothing usable did (`error_kind` is None on success)."""

    url: str
    """The final URL after redirects (the request URL when no response was received)."""
    status: int | None
    """HTTP status of the last response; None when no response arrived."""
    body: bytes | None
    """The decompressed body of a 2xx response; None on 304 and on errors."""
    headers: dict[str, str]
    """Response headers of the last response, names lower-cased, repeated ones joined by ", "."""
    etag: str | None
    """Validator to send next time (the new one, else the one sent when the server kept it)."""
    last_modified: str | None
    not_modified: bool
    """True on 304: the stored copy is current."""
    error_kind: str | None
    """Machine-readable failure: "timeout", "too_large", "http_404", "http_410", "http_429",
    "http_4xx" codes as "http_<status>", "http_5xx", "redirects", "blocked_address" (an
    untrusted feed's address or port is not allowed), "bad_scheme", "bad_url", "decode",
    "network"."""
    error: str | None
    """Human-readable failure, for the feed's health line and the logs."""
    retry_after: float | None
    """Seconds the server asked us to wait (Retry-After on 429/503)."""
    max_age: float | None
    """Cache-Control max-age in seconds, when the server declared one."""
    bytes_read: int
    """Bytes received on the wire (compressed size), over all hops."""

    @property
    def ok(self) -> bool:
        """True when the response is usable: a body, or a 304."""
        return self.error_kind is None


class BlockedAddressError(Exception):
    """An untrusted request would have connected to a non-global address."""


class _Failure(Exception):
    """Internal: ends a fetch with an error kind and message."""

    def __init__(self, kind: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


# IPv6 ranges whose last 32 bits are an IPv4 address the packets end up at.
_LOW_32_EMBEDS_IPV4 = (
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64, well-known prefix (RFC 6052)
    ipaddress.IPv6Network("::ffff:0:0/96"),  # IPv4-mapped
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated (RFC 2765)
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated), `::` and `::1` included
)
# Operator-chosen NAT64 prefix (RFC 8215): where its IPv4 address sits is a local decision.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
_LEGACY_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]+|[0-9]+")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, NAT64, 6to4, Teredo, compatible)."""
    for network in _LOW_32_EMBEDS_IPV4:
        if address in network:
            return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # the relay server and the client behind it
    return []


def is_public_address(address: IPAddress) -> bool:
    """The default guard: only globally routable unicast addresses.

    An IPv6 address carrying an IPv4 one is judged by the IPv4 address (`::ffff:127.0.0.1`,
    `64:ff9b::7f00:1` and `2002:7f00:1::` are loopback, whatever Python's tables say of the
    IPv6 range); 6to4 and Teredo must also be global themselves.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return False
        carried = embedded_ipv4(address)
        if carried and not all(is_public_address(v4) for v4 in carried):
            return False
        if carried and any(address in network for network in _LOW_32_EMBEDS_IPV4):
            return True  # a translation prefix: the IPv4 address is the destination
    return address.is_global and not address.is_multicast


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host spells in the forms `inet_aton` accepts, else None.

    `2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1` and `127.0.0.1.` are all 127.0.0.1 to the
    system resolver, so the guard must read them the same way before anything else does.
    """
    parts = host.removesuffix(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_LEGACY_IPV4_PART.fullmatch(p) for p in parts):
        return None
    values = [
        int(p, 16) if p[:2] in ("0x", "0X") else int(p, 8) if p.startswith("0") else int(p)
        for p in parts
    ]
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for value in head:
        number = number * 256 + value
    return ipaddress.IPv4Address((number << 8 * (4 - len(head))) | last)


async def _system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _parse_ip(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to checked addresses: resolve, check every address, connect to one."""

    def __init__(self, resolver: Resolver, allowed: AddressAllowed, ports: frozenset[int]) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolver = resolver
        self._allowed = allowed
        self._ports = ports

    async def _checked_addresses(
        self, host: str, port: int, resolve_seconds: float | None
    ) -> list[str]:
        if port not in self._ports:
            raise BlockedAddressError(f"port {port} is not allowed for feeds added from the chat")
        literal = _parse_ip(host) or legacy_ipv4(host)
        if literal is not None:
            candidates = [str(literal)]  # connect to what was checked, not to its spelling
        else:
            try:
                async with asyncio.timeout(resolve_seconds):
                    candidates = await self._resolver(host, port)
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
            except OSError as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not candidates:
            raise httpcore.ConnectError(f"{host} has no address")
        for candidate in candidates:
            address = _parse_ip(candidate)
            # One bad address taints the name: a rebinding setup mixes public and private.
            if address is None or not self._allowed(address):
                raise BlockedAddressError(f"{host} resolves to {candidate}, not a public address")
        return candidates

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface passes it
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        candidates = await self._checked_addresses(host, port, timeout)
        last_error: Exception | None = None
        for address in candidates:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # candidates is never empty here
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface passes it
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool built on the guarded network backend."""

    def __init__(self, *, limits: httpx.Limits, backend: _GuardedBackend) -> None:
        super().__init__(limits=limits, trust_env=False)
        # httpx offers no public hook for the network backend; the pool it builds is replaced
        # by the same pool with ours (same arguments as httpx passes, plus network_backend).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


class _BoundedDecoder:
    """Content-Encoding decoding that never produces more than the caller still accepts."""

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise _Failure("decode", f"stacked content encodings not supported: {codings}")
        self._coding = codings[0] if codings else None
        self._zlib: Any = None
        self._deflate_raw_tried = False
        if self._coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._coding == "deflate":
            self._zlib = zlib.decompressobj()
        elif self._coding is not None:
            raise _Failure("decode", f"unsupported content encoding {self._coding!r}")

    def decode(self, chunk: bytes, room: int) -> tuple[bytes, bool]:
        """Decode `chunk`; returns (output, over) where over means more than `room` bytes."""
        if self._zlib is None:
            return chunk[: room + 1], len(chunk) > room
        out = bytearray()
        data = chunk
        while data:
            try:
                piece = self._zlib.decompress(data, room - len(out) + 1)
            except zlib.error as exc:
                if self._coding == "deflate" and not self._deflate_raw_tried and not out:
                    # Some servers send raw deflate without the zlib header (as httpx allows).
                    self._deflate_raw_tried = True
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise _Failure("decode", f"corrupt {self._coding} body: {exc}") from exc
            self._deflate_raw_tried = True
            out += piece
            if len(out) > room:
                return bytes(out), True
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:
                break
        return bytes(out), False


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def parse_max_age(value: str | None) -> float | None:
    """Cache-Control max-age in seconds; None when absent or when caching is forbidden."""
    if not value or _NO_CACHE.search(value):
        return None
    match = _MAX_AGE.search(value)
    return float(match.group(1)) if match else None


def _plain_headers(headers: httpx.Headers) -> dict[str, str]:
    plain: dict[str, str] = {}
    for name, value in headers.multi_items():
        key = name.lower()
        plain[key] = f"{plain[key]}, {value}" if key in plain else value
    return plain


def _check_scheme(url: httpx.URL) -> None:
    if url.scheme not in _ALLOWED_SCHEMES:
        raise _Failure("bad_scheme", f"only http and https are fetched, not {url.scheme!r}")
    if not url.host:
        raise _Failure("bad_url", f"no host in {url}")


def _host_key(url: httpx.URL) -> str:
    return f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"


class Fetcher:
    """Fetches feeds with shared connections and bounded concurrency; use `async with`."""

    def __init__(
        self,
        *,
        max_in_flight: int = 100,
        per_host: int = 4,
        connect_timeout: float = 10.0,
        read_timeout: float = 20.0,
        total_timeout: float = 60.0,
        max_redirects: int = 5,
        max_bytes: int = 10 * 1024 * 1024,
        user_agent: str = USER_AGENT,
        resolver: Resolver | None = None,
        address_allowed: AddressAllowed | None = None,
        allowed_ports: frozenset[int] = DEFAULT_ALLOWED_PORTS,
    ) -> None:
        """`allowed_ports` are the ports untrusted feeds may use (trusted ones may use any)."""
        self._global = asyncio.Semaphore(max_in_flight)
        self._per_host_limit = per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._host_users: dict[str, int] = {}
        self._total_timeout = total_timeout
        self._max_redirects = max_redirects
        self._max_bytes = max_bytes
        timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=None
        )
        limits = httpx.Limits(
            max_connections=max_in_flight,
            # httpcore scans every pooled connection once per idle connection on each request
            # (quadratic): 100 kept-alive connections made 1,000 fetches take 43 s instead of
            # 4 s. Feeds rarely share a host within a poll, so a small keep-alive pool loses
            # little.
            max_keepalive_connections=min(_KEEPALIVE, max_in_flight),
            keepalive_expiry=30.0,
        )
        headers = {
            "User-Agent": user_agent,
            "Accept": _ACCEPT,
            "Accept-Encoding": _ACCEPT_ENCODING,
        }
        self._headers = headers
        self._timeout = timeout
        # Trusted feeds get a small client per host: httpcore's pool work grows with the
        # connections it holds, and per host we never need more than `per_host` of them, all
        # kept alive between polls (1,000 feeds on 25 hosts: 2,000 connects became 100).
        self._host_limits = httpx.Limits(
            max_connections=per_host, max_keepalive_connections=per_host, keepalive_expiry=60.0
        )
        self._by_host: OrderedDict[str, httpx.AsyncClient] = OrderedDict()
        # Loading the CA bundle takes ~25 ms of CPU: once, not once per host's client.
        self._ssl_context = httpx.create_ssl_context(trust_env=False)
        self._closing: set[asyncio.Task[None]] = set()
        backend = _GuardedBackend(
            resolver or _system_resolver, address_allowed or is_public_address, allowed_ports
        )
        self._untrusted = httpx.AsyncClient(
            headers=headers,
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            transport=_GuardedTransport(limits=limits, backend=backend),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close all pooled connections."""
        clients = list(self._by_host.values())
        self._by_host.clear()
        for client in clients:
            await client.aclose()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        await self._untrusted.aclose()

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one feed; every network or HTTP problem becomes `error_kind` / `error`."""
        state = _Progress(url=request.url)
        try:
            return await self._fetch(request, state)
        except _Failure as failure:
            return state.failed(request, failure.kind, failure.message, failure.status)
        except TimeoutError:
            return state.failed(
                request, "timeout", f"no complete response within {self._total_timeout:g} s"
            )
        except BlockedAddressError as exc:
            return state.failed(request, "blocked_address", str(exc))
        except httpx.TimeoutException as exc:
            return state.failed(request, "timeout", _describe(exc))
        except httpx.UnsupportedProtocol as exc:
            return state.failed(request, "bad_scheme", _describe(exc))
        except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
            return state.failed(request, "bad_url", _describe(exc))
        except httpx.DecodingError as exc:
            return state.failed(request, "decode", _describe(exc))
        except (httpx.HTTPError, httpx.StreamError, OSError) as exc:
            return state.failed(request, "network", _describe(exc))

    async def _fetch(self, request: FetchRequest, state: _Progress) -> FetchResult:
        url = httpx.URL(request.url)
        headers = {}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        async with asyncio.timeout(None) as deadline:
            for hop in range(self._max_redirects + 1):
                _check_scheme(url)
                state.url = str(url)
                key = _host_key(url)
                async with self._host_slot(key), self._global:
                    client = self._client_for(key) if request.trusted else self._untrusted
                    if hop == 0:
                        # The clock starts once we may talk to the server, not while queued.
                        deadline.reschedule(asyncio.get_running_loop().time() + self._total_timeout)
                    result_or_next = await self._one_hop(client, url, headers, request, state)
                if isinstance(result_or_next, FetchResult):
                    return result_or_next
                url = result_or_next
        raise _Failure(
            "redirects",
            f"more than {self._max_redirects} redirects (last to {url})",
            status=state.status,
        )

    async def _one_hop(
        self,
        client: httpx.AsyncClient,
        url: httpx.URL,
        headers: Mapping[str, str],
        request: FetchRequest,
        state: _Progress,
    ) -> FetchResult | httpx.URL:
        async with client.stream("GET", url, headers=headers) as response:
            state.status = response.status_code
            state.headers = _plain_headers(response.headers)
            status = response.status_code
            if status in _REDIRECT_STATUSES:
                location = response.headers.get("location")
                if not location:
                    raise _Failure("http_3xx", f"redirect {status} without Location", status=status)
                await self._drain(response, state)
                return url.join(location.strip())
            if status == 304:
                return state.result(request, body=None, not_modified=True)
            if status >= 400:
                raise self._http_failure(status, state)
            if status >= 300:
                raise _Failure("http_3xx", f"unexpected HTTP {status}", status=status)
            body = await self._read_body(response, state)
            return state.result(request, body=body, not_modified=False)

    def _http_failure(self, status: int, state: _Progress) -> _Failure:
        reason = httpx.codes.get_reason_phrase(status) or "error"
        kind = "http_5xx" if status >= 500 else f"http_{status}"
        return _Failure(kind, f"HTTP {status} {reason}", status=status)

    async def _drain(self, response: httpx.Response, state: _Progress) -> None:
        """Read a redirect's small body so the connection can be reused; give up if large."""
        async for chunk in response.aiter_raw():
            state.bytes_read += len(chunk)
            if state.bytes_read > 64 * 1024:
                break

    async def _read_body(self, response: httpx.Response, state: _Progress) -> bytes:
        limit = self._max_bytes
        declared = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "")
        if declared.isdigit() and int(declared) > limit and not encoding:
            raise _Failure(
                "too_large",
                f"body of {int(declared)} bytes exceeds the limit of {limit} bytes",
                status=response.status_code,
            )
        decoder = _BoundedDecoder(encoding)
        body = bytearray()
        async for chunk in response.aiter_raw():
            state.bytes_read += len(chunk)
            piece, over = decoder.decode(chunk, limit - len(body))
            body += piece
            if over:
                raise _Failure(
                    "too_large",
                    f"body exceeds the limit of {limit} bytes "
                    f"(after {state.bytes_read} bytes on the wire)",
                    status=response.status_code,
                )
        return bytes(body)

    def _client_for(self, key: str) -> httpx.AsyncClient:
        """The host's own client (trusted feeds), created on first use, least used evicted."""
        client = self._by_host.get(key)
        if client is not None:
            self._by_host.move_to_end(key)
            return client
        client = httpx.AsyncClient(
            headers=self._headers,
            timeout=self._timeout,
            follow_redirects=False,
            trust_env=False,
            transport=httpx.AsyncHTTPTransport(
                limits=self._host_limits, trust_env=False, verify=self._ssl_context
            ),
        )
        self._by_host[key] = client
        while len(self._by_host) > _MAX_HOST_CLIENTS:
            idle = next((k for k in self._by_host if k not in self._host_users), None)
            if idle is None:
                break
            task = asyncio.create_task(self._by_host.pop(idle).aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return client

    @contextlib.asynccontextmanager
    async def _host_slot(self, key: str) -> AsyncIterator[None]:
        """Hold one of the host's `per_host` slots; the semaphore lives while anyone uses it."""
        semaphore = self._hosts.get(key)
        if semaphore is None:
            semaphore = self._hosts[key] = asyncio.Semaphore(self._per_host_limit)
        self._host_users[key] = self._host_users.get(key, 0) + 1
        try:
            async with semaphore:
                yield
        finally:
            self._host_users[key] -= 1
            if self._host_users[key] == 0:  # keeps the dict from growing with every host seen
                del self._host_users[key]
                del self._hosts[key]


@dataclass(slots=True)
class _Progress:
    """Mutable notes of one fetch in progress, turned into a frozen `FetchResult` at the end."""

    url: str
    status: int | None = None
    headers: dict[str, str] | None = None
    bytes_read: int = 0

    def _hints(self) -> tuple[float | None, float | None]:
        headers = self.headers or {}
        retry_after = None
        if self.status in (429, 503) or "retry-after" in headers:
            retry_after = parse_retry_after(headers.get("retry-after"))
        return retry_after, parse_max_age(headers.get("cache-control"))

    def result(
        self, request: FetchRequest, *, body: bytes | None, not_modified: bool
    ) -> FetchResult:
        headers = self.headers or {}
        retry_after, max_age = self._hints()
        etag = headers.get("etag")
        last_modified = headers.get("last-modified")
        if not_modified:  # a 304 may omit the validators; the ones we sent still hold
            etag = etag or request.etag
            last_modified = last_modified or request.last_modified
        return FetchResult(
            url=self.url,
            status=self.status,
            body=body,
            headers=dict(headers),
            etag=etag,
            last_modified=last_modified,
            not_modified=not_modified,
            error_kind=None,
            error=None,
            retry_after=retry_after,
            max_age=max_age,
            bytes_read=self.bytes_read,
        )

    def failed(
        self, request: FetchRequest, kind: str, message: str, status: int | None = None
    ) -> FetchResult:
        retry_after, max_age = self._hints()
        return FetchResult(
            url=self.url,
            status=status if status is not None else self.status,
            body=None,
            headers=dict(self.headers or {}),
            etag=request.etag,
            last_modified=request.last_modified,
            not_modified=False,
            error_kind=kind,
            error=message,
            retry_after=retry_after,
            max_age=max_age,
            bytes_read=self.bytes_read,
        )


def _describe(exc: BaseException) -> str:
    """An exception as one line: its type and message, or its cause's when it has none."""
    message = str(exc).strip()
    if not message and exc.__cause__ is not None:
        message = str(exc.__cause__).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
