"""The transport never sends twice: a call is repeated only when it provably never reached
Telegram (no connection, no free connection in the pool); a call with an effect that may have
reached Telegram is not repeated. Only python-telegram-bot's public API is used."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from telegram.error import NetworkError

from bot.telegram import transport
from bot.telegram.transport import SendOnceRequest, has_effect

BOT = Path(__file__).resolve().parent.parent / "bot"
URL = "https://api.example.invalid/bot1:x/"


def test_nothing_in_bot_imports_private_telegram_modules() -> None:
    private = re.compile(r"^\s*(from|import)\s+telegram(\.\w+)*\._", re.MULTILINE)
    offenders = [str(p) for p in BOT.rglob("*.py") if private.search(p.read_text())]
    assert not offenders


def _calls(
    method: str, faults: list[Callable[[httpx.Request], httpx.Response]]
) -> tuple[int, int | None, Exception | None]:
    """Run one call through SendOnceRequest over a fake network: each try takes the next
    fault, then Telegram answers 200. Returns (tries, status, error)."""
    tries = 0

    def network(request: httpx.Request) -> httpx.Response:
        nonlocal tries
        tries += 1
        if tries <= len(faults):
            return faults[tries - 1](request)
        return httpx.Response(200, json={"ok": True, "result": True})

    async def main() -> tuple[int | None, Exception | None]:
        request = SendOnceRequest(1, httpx_kwargs={"transport": httpx.MockTransport(network)})
        await request.initialize()
        try:
            code, _ = await request.do_request(URL + method, "POST")
            return code, None
        except NetworkError as error:
            return None, error
        finally:
            await request.shutdown()

    code, error = asyncio.run(main())
    return tries, code, error


def _raise(error: type[Exception]) -> Callable[[httpx.Request], httpx.Response]:
    def fault(request: httpx.Request) -> httpx.Response:
        raise error("injected", request=request)

    return fault


def _status(code: int) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, json={"ok": False, "error_code": code})


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "BACKOFF_SECONDS", 0.0)


@pytest.mark.parametrize("fault", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_a_send_that_never_left_is_tried_again(fault: type[Exception]) -> None:
    tries, code, error = _calls("sendMessage", [_raise(fault)])
    assert (tries, code, error) == (2, 200, None)


@pytest.mark.parametrize("fault", [httpx.ReadError, httpx.RemoteProtocolError, httpx.ReadTimeout])
@pytest.mark.parametrize(
    "method", ["sendMessage", "editMessageText", "answerCallbackQuery", "answerInlineQuery"]
)
def test_a_send_that_may_have_arrived_is_not_repeated(method: str, fault: type[Exception]) -> None:
    tries, code, error = _calls(method, [_raise(fault)])
    assert tries == 1 and code is None and isinstance(error, NetworkError)


def test_a_5xx_answer_to_a_send_is_not_repeated() -> None:
    assert _calls("sendMessage", [_status(502)])[:2] == (1, 502)


def test_calls_without_effects_are_retried_after_any_network_fault() -> None:
    assert _calls("getMe", [_raise(httpx.ReadError), _status(500)])[:2] == (3, 200)
    assert _calls("setMyCommands", [_raise(httpx.RemoteProtocolError)])[:2] == (2, 200)


def test_which_methods_have_effects() -> None:
    assert all(map(has_effect, ["sendMessage", "editMessageReplyMarkup", "answerCallbackQuery"]))
    assert not any(map(has_effect, ["getMe", "setMyCommands", "getUpdates", "deleteWebhook"]))
