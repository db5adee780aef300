"""The bot's own HTTP server on HTTP_LISTEN: `/healthz`, `/metrics` and the webhook.

One small aiohttp server for all three, started before anything else (a standby instance and
one still waiting for Telegram report so) and stopped last.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.health import Health
from bot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
MAX_UPDATE_BYTES = 1024 * 1024
"""Telegram's updates are a few kB; anything this large is not one."""


@dataclass
class Webhook:
    """Where updates arrive and the secret they must carry; `application` is set once the bot
    is up (until then updates get 503 and Telegram sends them again later)."""

    path: str
    secret: str
    application: Application | None = None  # type: ignore[type-arg]


def webhook_path(webhook_url: str) -> str:
    """The path of WEBHOOK_URL, which the reverse proxy forwards unchanged."""
    return urlsplit(webhook_url).path or "/"


class HttpServer:
    """Serves health, metrics and (optionally) the webhook on one host:port."""

    def __init__(
        self,
        health: Health,
        metrics: Metrics,
        *,
        refresh: Callable[[], Awaitable[None]] | None = None,
        webhook: Webhook | None = None,
    ) -> None:
        self.health = health
        self.metrics = metrics
        self.refresh = refresh
        """Reads the gauges that come from the database; set once the database is open."""
        self.webhook = webhook
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        if self.webhook is not None:
            app.router.add_post(self.webhook.path, self._update)
        return app

    async def start(self, host: str, port: int) -> None:
        """Listen; raises OSError when the address is taken."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server  # aiohttp has no public accessor for the bound port (port 0)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("HTTP server on %s:%s (/healthz, /metrics)", host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        status, body = self.health.report()
        return web.json_response(body, status=status)

    async def _metrics(self, _request: web.Request) -> web.Response:
        if self.refresh is not None:
            try:
                await self.refresh()
            except Exception as error:  # the counters are still worth serving
                log.warning("metrics: could not read the database: %s", error)
        return web.Response(body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    async def _update(self, request: web.Request) -> web.Response:
        webhook = self.webhook
        assert webhook is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), webhook.secret.encode()):
            # Anyone may find the URL; only Telegram knows the secret. Nothing is read further.
            return web.Response(status=403, text="forbidden")
        application = webhook.application
        if application is None:
            return web.Response(status=503, text="not ready")
        try:
            data: Any = json.loads(await request.read())
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError) as error:
            log.warning("webhook: not an update: %s", error)
            return web.Response(status=400, text="not an update")
        await application.update_queue.put(update)
        return web.Response(text="ok")
