"""Tests of the fake Bot API server, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from tests.fakebotapi import FakeBotAPI, decode_body


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server
    assert server.errors == [], "the fake itself raised"


@contextlib.asynccontextmanager
async def make_bot(api: FakeBotAPI, read_timeout: float = 5.0) -> AsyncIterator[Bot]:
    def request() -> HTTPXRequest:
        # A pool of 2: PTB's default of 1 makes a second concurrent getUpdates a PoolTimeout.
        return HTTPXRequest(connection_pool_size=2, read_timeout=read_timeout)

    bot = Bot(
        api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        request=request(),
        get_updates_request=request(),
    )
    async with bot:  # initialize() calls getMe
        yield bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


# ------------------------------------------------------------------ basics


def test_get_me(api: FakeBotAPI) -> None:
    async def main() -> None:
        async with make_bot(api) as bot:
            me = await bot.get_me()
            assert me.is_bot and me.username == "KetamineFaqBot" and me.id == 123456
            assert bot.username == "KetamineFaqBot"

    asyncio.run(main())
    assert [e["method"] for e in api.request_log()] == ["getMe", "getMe"]


def test_text_42_stays_a_string(api: FakeBotAPI) -> None:
    async def main() -> None:
        async with make_bot(api) as bot:
            msg = await bot.send_message(1001, "42", disable_notification=True)
            assert msg.text == "42" and msg.chat.id == 1001 and msg.from_user.is_bot
            again = await bot.send_message(1001, "true")
            assert again.message_id == msg.message_id + 1  # per-chat sequence

    asyncio.run(main())
    first, second = api.requests("sendMessage")
    assert first == {"chat_id": 1001, "text": "42", "disable_notification": True}
    assert second["text"] == "true"
    assert [m["text"] for m in api.sent_messages(1001)] == ["42", "true"]
    assert api.sent_messages(999) == []


def test_reply_markup_is_decoded_and_echoed(api: FakeBotAPI) -> None:
    async def main() -> None:
        async with make_bot(api) as bot:
            msg = await bot.send_message(1001, "pick", reply_markup=keyboard("a", "b"))
            assert msg.reply_markup == keyboard("a", "b")
            plain = await bot.send_message(1001, "kb", reply_markup=ReplyKeyboardMarkup([["x"]]))
            assert plain.reply_markup is None  # Telegram echoes inline keyboards only

    asyncio.run(main())
    markup = api.requests("sendMessage")[0]["reply_markup"]
    row = [{"text": "a", "callback_data": "a"}, {"text": "b", "callback_data": "b"}]
    assert markup == {"inline_keyboard": [row]}


def test_unknown_method_is_400_and_wrong_token_401(api: FakeBotAPI) -> None:
    async def main() -> None:
        async with make_bot(api) as bot:
            with pytest.raises(
                BadRequest, match=r"(?i)method noSuchThing not found in fake Bot API"
            ):
                await bot.do_api_request("no_such_thing")
        wrong = Bot("999:WRONG", base_url=api.base_url)
        with pytest.raises(InvalidToken):
            await wrong.get_me()

    asyncio.run(main())


# ------------------------------------------------------------------ getUpdates


def test_long_poll_wakes_on_new_update(api: FakeBotAPI) -> None:
    async def main() -> None:
        async with make_bot(api) as bot:
            asyncio.get_running_loop().call_later(0.2, api.private_text, "hello")
            start = time.monotonic()
            updates = await bot.get_updates(timeout=5)
            assert time.monotonic() - start < 2
            assert [u.message.text for u in updates] == ["hello"]
            start = time.monotonic()
            assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0.3) == ()
            assert 0.25 < time.monotonic() - start < 2  # an empty poll honours timeout

    asyncio.run(main())


def test_offset_confirms_everything_below_it(api: FakeBotAPI) -> None:
    ids = [api.private_text(f"m{i}")["update_id"] for i in range(3)]

    async def main() -> None:
        async with make_bot(api) as bot:
            assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
            assert api.confirmed_offset == 0 and len(api.pending_updates()) == 3
            assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
            assert api.confirmed_offset == ids[1]
            assert await bot.get_updates(offset=ids[2] + 1) == ()

    asyncio.run(main())
    assert api.confirmed_offset == ids[2] + 1 and api.pending_updates() == []


@pytest.mark.parametrize("fault", ["drop", "slow"])
def test_failed_get_updates_confirms_nothing(api: FakeBotAPI, fault: str) -> None:
    first, second = api.private_text("a"), api.private_text("b")
    api.inject("getUpdates", fault, delay=0.1)

    async def main() -> None:
        async with make_bot(api) as bot:
            if fault == "drop":
                with pytest.raises(NetworkError):
                    await bot.get_updates(offset=second["update_id"])
            else:  # answered late, but the offset it carried is not taken as a confirmation
                assert len(await bot.get_updates(offset=second["update_id"])) == 1
            assert api.confirmed_offset == 0 and len(api.pending_updates()) == 2
            await bot.get_updates(offset=second["update_id"])
            assert [u["update_id"] for u in api.pending_updates()] == [second["update_id"]]

    asyncio.run(main())
    assert first["update_id"] < api.confirmed_offset
    assert [f["fault"] for f in api.faults_injected] == [fault]


def test_newer_poll_and_webhook_conflict(api: FakeBotAPI) -> None:
    async def main() -> None:
        async with make_bot(api) as bot:
            parked = asyncio.create_task(bot.get_updates(timeout=5))
            await api.await_for("getUpdates", include_failed=True)
            assert await bot.get_updates(timeout=0) == ()
            with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
                await parked
            with pytest.raises(BadRequest, match=r"(?i)HTTPS URL"):
                await bot.set_webhook("http://example.org/hook")
            assert await bot.set_webhook("https://example.org/hook", secret_token="s3")
            assert (await bot.get_webhook_info()).url == "https://example.org/hook"
            with pytest.raises(Conflict, match=r"(?i)webhook is active"):
                await bot.get_updates()
            assert await bot.delete_webhook(drop_pending_updates=True)
            assert await bot.get_updates() == ()

    asyncio.run(main())
    assert api.requests("setWebhook")[-1]["secret_token"] == "s3"


def test_stop_is_prompt_with_a_parked_long_poll() -> None:
    api = FakeBotAPI().start()
    got: dict[str, Any] = {}

    def poll() -> None:
        url = f"{api.base_url}{api.token}/getUpdates"
        with urllib.request.urlopen(url, data=b"timeout=30", timeout=5) as resp:
            got["body"] = json.loads(resp.read())

    thread = threading.Thread(target=poll)
    thread.start()
    api.wait_for("getUpdates", include_failed=True)  # parked: counted though unanswered
    start = time.monotonic()
    api.stop()
    assert time.monotonic() - start < 1.0
    thread.join(2)
    assert not thread.is_alive() and got["body"] == {"ok": True, "result": []}


# ------------------------------------------------------------------ faults


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB 22 warns on retry_after
def test_429_raises_retry_after(api: FakeBotAPI) -> None:
    api.inject("sendMessage", "429", retry_after=7)

    async def main() -> None:
        async with make_bot(api) as bot:
            with pytest.raises(RetryAfter) as info:
                await bot.send_message(1001, "hi")
            assert "Retry in 7 seconds" in str(info.value)  # .retry_after warns in 22.x
            await bot.send_message(1001, "hi")  # consumed: the retry goes through

    asyncio.run(main())
    assert [e["status"] for e in api.request_log("sendMessage")] == [429, 200]
    assert len(api.sent_messages()) == 1


def test_5xx_and_drop_raise_network_error_in_order(api: FakeBotAPI) -> None:
    for fault in ("500", "502", "drop"):
        api.inject("sendMessage", fault)

    async def main() -> None:
        async with make_bot(api) as bot:
            for expected in ("Internal Server Error", "Bad Gateway", "Server disconnected"):
                with pytest.raises(NetworkError, match=expected) as info:
                    await bot.send_message(1001, "hi")
                assert not isinstance(info.value, BadRequest | TimedOut)
            await bot.send_message(1001, "finally")

    asyncio.run(main())
    assert [f["fault"] for f in api.faults_injected] == ["500", "502", "drop"]
    assert [m["text"] for m in api.sent_messages()] == ["finally"]
    statuses = [e["status"] for e in api.request_log("sendMessage")]
    assert statuses == [500, 502, "dropped", 200]


def test_slow_past_read_timeout_times_out_but_is_delivered(api: FakeBotAPI) -> None:
    api.inject("sendMessage", "slow", delay=1.0)

    async def main() -> None:
        async with make_bot(api, read_timeout=0.3) as bot:
            start = time.monotonic()
            with pytest.raises(TimedOut):
                await bot.send_message(1001, "late")
            assert time.monotonic() - start < 0.9

    asyncio.run(main())
    # Like Telegram: the client gave up, but the message went out (a blind retry duplicates it).
    assert [m["text"] for m in api.sent_messages()] == ["late"]


def test_inject_rejects_unknown_faults(api: FakeBotAPI) -> None:
    with pytest.raises(ValueError, match="fault must be one of"):
        api.inject("sendMessage", "404")
    with pytest.raises(ValueError, match="delay"):
        api.inject("sendMessage", "slow")


# ------------------------------------------------------------------ validation and flows


def test_html_is_validated_like_telegram(api: FakeBotAPI) -> None:
    async def main() -> None:
        async with make_bot(api) as bot:
            ok = "<b>bold</b> <a href='https://x.org'>l</a> &lt;3 a > b & c"
            assert (await bot.send_message(1001, ok, parse_mode="HTML")).text == ok
            for bad in ("<b>open", "<b><i>x</b></i>", "line<br>break", "a < b", "</b>"):
                with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
                    await bot.send_message(1001, bad, parse_mode="HTML")
            with pytest.raises(BadRequest, match=r"(?i)message is too long"):
                await bot.send_message(1001, "x" * 4097)
            # 4096 characters after parsing: the tags do not count.
            await bot.send_message(1001, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")

    asyncio.run(main())
    assert len(api.sent_messages()) == 2
    assert api.request_log("sendMessage")[1]["status"] == 400


def test_callback_edit_flow(api: FakeBotAPI) -> None:
    async def main() -> None:
        async with make_bot(api) as bot:
            sent = await bot.send_message(1001, "pick", reply_markup=keyboard("a"))
            api.callback_query("a", api.sent_messages()[0])
            (update,) = await bot.get_updates()
            query = update.callback_query
            assert query.data == "a" and query.message.message_id == sent.message_id
            assert query.chat_instance and query.from_user.id == 1001
            assert await query.answer("ok")
            with pytest.raises(BadRequest, match=r"(?i)query is too old"):
                await query.answer("twice")
            with pytest.raises(BadRequest, match=r"(?i)not modified"):
                await bot.edit_message_text(
                    "pick", 1001, sent.message_id, reply_markup=keyboard("a")
                )
            edited = await bot.edit_message_text("picked", 1001, sent.message_id)
            assert edited.text == "picked" and edited.reply_markup is None and edited.edit_date
            with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
                await bot.edit_message_reply_markup(
                    1001, sent.message_id, reply_markup=keyboard("x" * 65)
                )
            with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
                await bot.edit_message_text("?", 1001, 999)

    asyncio.run(main())
    assert api.bot_message(1001, 1)["text"] == "picked"


def test_inline_query_commands_and_misc(api: FakeBotAPI) -> None:
    api.inline_query("k" * 300, offset="10")

    async def main() -> None:
        async with make_bot(api) as bot:
            (update,) = await bot.get_updates()
            assert len(update.inline_query.query) == 256 and update.inline_query.offset == "10"
            bad = InputTextMessageContent("<p>x</p>", parse_mode="HTML")
            with pytest.raises(BadRequest, match=r"(?i)unsupported start tag \"p\""):
                await update.inline_query.answer([InlineQueryResultArticle("1", "t", bad)])
            article = InlineQueryResultArticle("1", "t", InputTextMessageContent("body"))
            assert await update.inline_query.answer([article], next_offset="20", cache_time=5)
            assert await bot.set_my_commands([("start", "Start"), ("help", "Help")])
            assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
            with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
                await bot.set_my_commands([("Start", "capitals are rejected")])
            assert await bot.delete_my_commands() and await bot.get_my_commands() == ()
            assert await bot.send_chat_action(1001, "typing")
            assert await bot.set_chat_menu_button()
            assert (await bot.get_chat(-100500)).type == "supergroup"

    asyncio.run(main())
    _, answer = api.requests("answerInlineQuery")  # the rejected one, then the good one
    assert answer["next_offset"] == "20" and answer["cache_time"] == 5
    assert answer["results"][0]["input_message_content"] == {"message_text": "body"}


def test_update_builders_give_valid_ptb_objects(api: FakeBotAPI) -> None:
    bot = Bot(api.token, base_url=api.base_url)
    group = api.group_text("\N{GRINNING FACE} /help@KetamineFaqBot hi @KetamineFaqBot")
    message = Update.de_json(group, bot).message
    assert message.chat.type == "supergroup" and message.from_user.id == 1002
    entities = message.parse_entities()
    assert sorted(entities.values()) == ["/help@KetamineFaqBot", "@KetamineFaqBot"]
    sticker = Update.de_json(api.private_sticker(), bot).message
    photo = Update.de_json(api.private_photo(caption="c"), bot).message
    assert sticker.sticker.emoji and photo.photo[-1].width == 800 and photo.caption == "c"
    edited = Update.de_json(api.edited_private_text("fixed", photo.message_id), bot)
    assert edited.edited_message.text == "fixed" and edited.edited_message.edit_date
    given = api.private_text("/x", entities=[])
    assert "entities" not in given["message"]
    raw = api.add_update({"message": group["message"]})
    assert raw["update_id"] == given["update_id"] + 1
    assert [m.message_id for m in (sticker, photo)] == [1, 2]  # per-chat sequence


def test_wait_for_timeout_reports_what_was_seen(api: FakeBotAPI) -> None:
    async def main() -> None:
        async with make_bot(api) as bot:
            with pytest.raises(BadRequest):
                await bot.send_message(1001, "<b>", parse_mode="HTML")

    asyncio.run(main())
    with pytest.raises(AssertionError, match=r"(?s)saw 0 matching.*sendMessage -> 400"):
        api.wait_for("sendMessage", timeout=0.1)
    assert len(api.wait_for("sendMessage", include_failed=True, timeout=0.1)) == 1


def test_multipart_upload_params_are_recorded(api: FakeBotAPI) -> None:
    async def main() -> None:
        async with make_bot(api) as bot:
            with pytest.raises(BadRequest, match=r"(?i)sendPhoto not found"):
                await bot.send_photo(1001, photo=b"\x89PNG fake", caption="42")

    asyncio.run(main())
    (params,) = api.requests("sendPhoto")
    assert params["caption"] == "42" and params["chat_id"] == 1001
    assert params["photo"]["size"] == len(b"\x89PNG fake")


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(min_size=1),
    chat_id=st.integers(-(10**13), 10**13) | st.just("@channel"),
    data=st.text(min_size=1, max_size=20),
)
@example(text="42", chat_id=1, data="1")
@example(text="null", chat_id=1, data="true")
@example(text='{"a": 1}', chat_id=1, data="[1]")
def test_decoding_matches_ptb_encoding(text: str, chat_id: int | str, data: str) -> None:
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "reply_markup": keyboard(data),
        "disable_notification": True,
        "parse_mode": "HTML",
    }
    request = RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])
    expected = {**values, "reply_markup": keyboard(data).to_dict()}
    form = request.url_encoded_parameters().encode()
    assert decode_body("application/x-www-form-urlencoded", form) == expected
    assert decode_body("application/json", request.json_payload) == expected


# ------------------------------------------------------------------ whole applications


def test_application_polling_echo_and_commands(api: FakeBotAPI) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(update.effective_message.text)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text("started")

    async def main() -> None:
        app = (
            ApplicationBuilder()
            .token(api.token)
            .base_url(api.base_url)
            .base_file_url(api.base_file_url)
            .build()
        )
        app.add_handler(CommandHandler("start", start))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
        await app.initialize()
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            api.private_text("42")
            (reply,) = await api.await_for("sendMessage", timeout=5)
            assert reply["text"] == "42" and reply["chat_id"] == 1001
            api.group_text("/start@OtherBot")  # addressed to another bot: ignored
            api.group_text("/start@KetamineFaqBot")
            api.private_text("sentinel")
            await api.await_for("sendMessage", 3, timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()

    asyncio.run(main())
    texts = [(m["chat"]["id"], m["text"]) for m in api.sent_messages()]
    assert texts == [(1001, "42"), (-100500, "started"), (1001, "sentinel")]
    assert api.pending_updates() == []  # the updater's last getUpdates confirmed everything
    assert api.requests("deleteWebhook")


def test_subprocess_bot_uses_the_server(api: FakeBotAPI) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio
        from telegram import Bot
        async def main():
            async with Bot({api.token!r}, base_url={api.base_url!r}) as bot:
                (update,) = await bot.get_updates(timeout=5)
                await bot.send_message(update.message.chat.id, "pong")
        asyncio.run(main())
        """
    )
    api.private_text("ping", user_id=77)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=20)
    assert proc.returncode == 0, proc.stderr.decode()
    assert api.sent_messages(77)[0]["text"] == "pong"


def test_urlencoded_get_and_json_requests_without_ptb(api: FakeBotAPI) -> None:
    base = f"{api.base_url}{api.token}"
    with urllib.request.urlopen(f"{base}/sendMessage?chat_id=5&text=7") as resp:
        assert json.loads(resp.read())["result"]["text"] == "7"
    body = json.dumps({"chat_id": 5, "text": "8", "reply_markup": '{"inline_keyboard": []}'})
    req = urllib.request.Request(
        f"{base}/SENDMESSAGE", body.encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req) as resp:
        assert json.loads(resp.read())["result"]["reply_markup"] == {"inline_keyboard": []}
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{api.base_url}0:bad/getMe")
    assert info.value.code == 401
    assert json.loads(info.value.read())["description"] == "Unauthorized"
