"""Webhook mode: our own small web server in front of the application, as python-telegram-bot's
custom-webhook examples do, so that it can also answer `GET /healthz`.

POST <path of WEBHOOK_URL>: an update from Telegram, refused (403) without the secret token;
GET /healthz: 200 when the knowledge is loaded and the last Bot API call succeeded, else 503.
SIGINT/SIGTERM: stop taking updates, finish the ones in flight, exit 0.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import signal
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.web
from telegram import Update

from bot.config import Settings
from bot.telegram.state import BotApplication, BotState

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, bot_application: BotApplication, secret: str) -> None:
        self.application_ = bot_application
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(HTTPStatus.FORBIDDEN)
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.application_.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("webhook: refused a body that is not an update")
            self.set_status(HTTPStatus.BAD_REQUEST)
            return
        await self.application_.update_queue.put(update)
        self.set_status(HTTPStatus.OK)

    def log_exception(self, *args: Any) -> None:  # never log a request body: it is health data
        log.error("webhook: error while taking an update")


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, state: BotState) -> None:
        self.state = state

    def get(self) -> None:
        health = self.state.health
        self.set_status(HTTPStatus.OK if health.healthy else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(health.snapshot()))


def web_app(application: BotApplication, secret: str, path: str) -> tornado.web.Application:
    state = application.bot_data.state
    return tornado.web.Application(
        [
            (path, _UpdateHandler, {"bot_application": application, "secret": secret}),
            ("/healthz", _HealthHandler, {"state": state}),
        ],
        log_function=lambda handler: None,  # request lines would carry nothing useful
    )


async def serve_webhook(
    application: BotApplication, settings: Settings, stop_signals: Sequence[signal.Signals]
) -> None:
    assert settings.webhook_url is not None
    # Telegram sends this secret with every call; without one set, a fresh random one.
    secret = settings.webhook_secret or secrets.token_urlsafe(32)
    path = "/" + urlsplit(settings.webhook_url).path.lstrip("/")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in stop_signals:
        loop.add_signal_handler(stop_signal, stop.set)
    async with application:  # initialize() now, shutdown() at the end
        if application.post_init is not None:
            await application.post_init(application)
        await application.bot.set_webhook(
            url=settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        server = tornado.httpserver.HTTPServer(web_app(application, secret, path))
        server.listen(settings.webhook_port, address=settings.webhook_listen)
        log.info("webhook server on %s:%d", settings.webhook_listen, settings.webhook_port)
        await stop.wait()
        server.stop()  # no new connections; updates already queued are still answered
        await server.close_all_connections()
        await application.stop()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)
