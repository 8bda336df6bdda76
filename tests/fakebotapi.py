"""A fake Telegram Bot API server for end-to-end tests of python-telegram-bot (PTB) bots.

Stdlib only: a ThreadingHTTPServer on 127.0.0.1 (ephemeral port) in a daemon thread, so it
serves an in-process PTB Application and a bot running as a subprocess alike.

    with FakeBotAPI() as api:
        app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
        ...
        api.private_text("/start")
        api.wait_for("sendMessage")

Decoding mirrors how PTB encodes: form fields whose values are raw for strings and JSON for
everything else, so a text of "42" stays the string "42". Objects carry the fields PTB needs
(``date`` in Unix seconds, ``is_bot``, chat ``type``, ``chat_instance``, the bot username).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import email.parser
import email.policy
import html
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

JSONDict = dict[str, Any]
Predicate = Callable[[JSONDict], bool]

#: Parameters that are strings in the Bot API: kept raw, never JSON-decoded ("42" stays "42").
STRING_PARAMS: frozenset[str] = frozenset(
    """text caption query data callback_query_id inline_query_id inline_message_id url
    secret_token parse_mode next_offset switch_pm_text switch_pm_parameter language_code
    action title description short_description name emoji message_effect_id ip_address
    business_connection_id question explanation address first_name last_name phone_number
    vcard payload currency start_parameter custom_title invite_link game_short_name
    sticker photo document audio video voice animation file_id thumbnail media""".split()  # noqa: SIM905
)
FAULTS: tuple[str, ...] = ("429", "500", "502", "slow", "drop", "cut")
CHAT_ACTIONS: frozenset[str] = frozenset(
    """typing upload_photo record_video upload_video record_voice upload_voice
    upload_document choose_sticker find_location record_video_note upload_video_note""".split()  # noqa: SIM905
)
HTML_TAGS: frozenset[str] = frozenset(
    "b strong i em u ins s strike del a code pre span tg-spoiler blockquote tg-emoji".split()  # noqa: SIM905
)
MAX_TEXT = 4096
_GIFT_TYPES = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
_GIFT_TYPES += ("gifts_from_channels",)
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?>")
# Telegram marks /cmd and /cmd@bot where a word starts; @username (5-32 chars) as a mention.
_CMD_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_MENTION_RE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{5,32}(?![A-Za-z0-9_])")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
    b"</html>\r\n"
)


class ApiError(Exception):
    """An error answer (``ok: false``) with the HTTP status Telegram would use."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def body(self) -> JSONDict:
        out: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def _bad(description: str) -> ApiError:
    return ApiError(400, "Bad Request: " + description)


def _reject_constant(name: str) -> float:
    raise ValueError(name)  # "NaN"/"Infinity" are text, not numbers, for our purposes


def decode_value(name: str, raw: str) -> Any:
    """Decode one form field the way PTB encoded it: raw for strings, JSON for the rest."""
    if name in STRING_PARAMS:
        return raw
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except ValueError:
        return raw  # e.g. chat_id="@channel", or a string parameter not in STRING_PARAMS


def decode_params(pairs: Iterable[tuple[str, str]]) -> JSONDict:
    """Decode ``(name, raw value)`` pairs field by field."""
    return {name: decode_value(name, raw) for name, raw in pairs}


def decode_body(content_type: str, body: bytes, query: str = "") -> JSONDict:
    """Decode a request (query string plus a urlencoded, JSON or multipart body)."""
    params = decode_params(parse_qsl(query, keep_blank_values=True))
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return params
    if ctype == "application/json":
        data = json.loads(body.decode("utf-8"))
        for key, value in data.items():
            params[key] = decode_value(key, value) if isinstance(value, str) else value
    elif ctype == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(head + body)
        for part in msg.iter_parts():  # type: ignore[attr-defined]
            name = str(part.get_param("name", header="content-disposition"))
            payload: bytes = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                params[name] = {
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "size": len(payload),
                }
            else:
                params[name] = decode_value(name, payload.decode("utf-8"))
    else:  # PTB's default: application/x-www-form-urlencoded
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        params.update(decode_params(pairs))
    return params


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram entity offsets (emoji count as 2)."""
    return len(text.encode("utf-16-le")) // 2


def auto_entities(text: str) -> list[JSONDict]:
    """The ``bot_command`` and ``mention`` entities Telegram would attach to ``text``."""
    found = [(m, "bot_command") for m in _CMD_RE.finditer(text)]
    found += [(m, "mention") for m in _MENTION_RE.finditer(text)]
    found.sort(key=lambda item: item[0].start())
    return [
        {"type": kind, "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
        for m, kind in found
    ]


def html_plain_text(text: str) -> str:
    """Strip Telegram-HTML markup; raise :class:`ApiError` where Telegram rejects the markup.

    Strict on tags (only Telegram's set, properly nested and closed) and on a bare ``<``;
    lenient on ``>`` and ``&`` like Telegram.
    """
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while (lt := text.find("<", pos)) >= 0:
        out.append(text[pos:lt])
        where = f"at byte offset {len(text[:lt].encode())}"
        m = _TAG_RE.match(text, lt)
        if m is None:
            raise _bad(f'can\'t parse entities: unescaped "<" {where}; use &lt;')
        closing, name, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3) or ""
        if closing:
            if not stack:
                raise _bad(f'can\'t parse entities: unexpected end tag "</{name}>" {where}')
            if stack[-1] != name:
                raise _bad(
                    f"can't parse entities: unmatched end tag {where}, "
                    f'expected "</{stack[-1]}>", found "</{name}>"'
                )
            stack.pop()
        elif name not in HTML_TAGS:
            raise _bad(f'can\'t parse entities: unsupported start tag "{name}" {where}')
        elif name == "span" and "tg-spoiler" not in attrs:
            raise _bad(f'can\'t parse entities: tag "span" must have class "tg-spoiler" {where}')
        else:
            stack.append(name)
        pos = m.end()
    out.append(text[pos:])
    if stack:
        raise _bad(
            f"can't parse entities: can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    return html.unescape("".join(out))


class _Fault(NamedTuple):
    kind: str
    retry_after: int
    delay: float


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive, like api.telegram.org; every answer carries Content-Length.
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        self.server.api._handle(self)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; the API records every request instead


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # else server_close() joins idle keep-alive threads: stop() hangs

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api
        self.connections: set[socket.socket] = set()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Headers and body go out in two writes: without NODELAY, Nagle + delayed ACK add ~40 ms.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.connections.discard(request)
        super().shutdown_request(request)


class FakeBotAPI:
    """A fake Bot API server. Thread-safe; every public method may be called from any thread."""

    def __init__(
        self, token: str = "123456:TEST-fake-token", username: str = "KetamineFaqBot"
    ) -> None:
        self.token = token
        self.username = username
        self.bot_user: JSONDict = {
            "id": int(token.split(":")[0]) if token.split(":")[0].isdigit() else 123456,
            "is_bot": True,
            "first_name": username,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        #: Faults as they fired: ``{"method", "fault", "time"}``.
        self.faults_injected: list[JSONDict] = []
        #: Exceptions inside the fake itself (answered as HTTP 500): bugs of the fake, not the bot.
        self.errors: list[str] = []
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._log: list[JSONDict] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._updates: list[JSONDict] = []
        self._next_update_id = 1
        self._confirmed_offset = 0
        self._poll_gen = 0
        self._in_flight = 0
        self._allowed_updates: list[str] = []
        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._sent: list[JSONDict] = []
        self._next_query_id = 1
        self._open_queries: set[str] = set()
        self._webhook: JSONDict = {"url": ""}
        self._commands: dict[str, list[JSONDict]] = {}
        self._menu_buttons: dict[str, JSONDict] = {}
        self._handlers: dict[str, Callable[[JSONDict], Any]] = {
            name[3:].lower(): getattr(self, name) for name in dir(self) if name.startswith("_m_")
        }

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> FakeBotAPI:
        """Bind 127.0.0.1 on an ephemeral port and serve in a daemon thread."""
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop promptly: wake parked long polls, then close every connection."""
        server = self._server
        if server is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
            # Give woken polls a moment to answer before their sockets are cut.
            self._cond.wait_for(lambda: self._in_flight == 0, timeout=0.3)
        server.shutdown()
        for conn in list(server.connections):
            with contextlib.suppress(OSError):  # unblocks threads idling on keep-alive reads
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        self._server = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "FakeBotAPI not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends ``{token}/{method}``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)`` (files are not served)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ----------------------------------------------------------------- building updates
    def _user(self, user_id: int, first_name: str | None = None) -> JSONDict:
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        )
        if first_name is not None:
            user["first_name"] = first_name
        user.setdefault("language_code", "en")
        return dict(user)

    def _chat(self, chat_id: int, chat_type: str | None = None) -> JSONDict:
        if chat_id not in self._chats or chat_type:
            if chat_id > 0:
                chat = {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
                if chat_id in self._users:
                    chat["first_name"] = self._users[chat_id]["first_name"]
            else:
                default = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = {"id": chat_id, "type": chat_type or default, "title": "Test Group"}
            self._chats[chat_id] = chat
        return dict(self._chats[chat_id])

    def _new_message(self, chat: JSONDict, sender: JSONDict, **fields: Any) -> JSONDict:
        # One message_id sequence per chat, shared by the users and the bot, as in Telegram.
        message_id = self._next_message_id.get(chat["id"], 1)
        self._next_message_id[chat["id"]] = message_id + 1
        msg: JSONDict = {"message_id": message_id, "from": sender, "chat": chat}
        msg["date"] = int(time.time())
        msg.update({k: v for k, v in fields.items() if v is not None})
        self._messages[(chat["id"], message_id)] = msg
        return msg

    def _text_fields(self, text: str, entities: list[JSONDict] | None) -> JSONDict:
        ents = auto_entities(text) if entities is None else entities
        return {"text": text, "entities": ents or None}

    def add_update(self, update: JSONDict) -> JSONDict:
        """Queue a raw update; fills ``update_id`` when missing. Returns the queued update."""
        with self._cond:
            update = copy.deepcopy(update)
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
            self._updates.append(update)
            self._cond.notify_all()
            return copy.deepcopy(update)

    def private_text(
        self,
        text: str,
        user_id: int = 1001,
        first_name: str = "Ann",
        entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        """A private text message; commands and mentions get entities unless given."""
        with self._cond:
            user = self._user(user_id, first_name)
            chat = self._chat(user_id, "private")
            msg = self._new_message(chat, user, **self._text_fields(text, entities))
            return self.add_update({"message": msg})

    def group_text(
        self,
        text: str,
        chat_id: int = -100500,
        user_id: int = 1002,
        chat_type: str = "supergroup",
        reply_to_message: JSONDict | None = None,
        entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        """A group message; ``reply_to_message`` is e.g. a message the bot sent there."""
        with self._cond:
            user, chat = self._user(user_id), self._chat(chat_id, chat_type)
            fields = self._text_fields(text, entities)
            msg = self._new_message(chat, user, reply_to_message=reply_to_message, **fields)
            return self.add_update({"message": msg})

    def callback_query(self, data: str, message: JSONDict, user_id: int = 1001) -> JSONDict:
        """A press on an inline button of ``message`` (a message the bot sent)."""
        with self._cond:
            key = (message["chat"]["id"], message["message_id"])
            current = copy.deepcopy(self._messages.get(key, message))  # after any edits
            query_id = str(self._next_query_id)
            self._next_query_id += 1
            self._open_queries.add(query_id)
            query = {
                "id": query_id,
                "from": self._user(user_id),
                "message": current,
                "chat_instance": f"ci{message['chat']['id']}",
                "data": data,
            }
            return self.add_update({"callback_query": query})

    def inline_query(self, query: str, user_id: int = 1001, offset: str = "") -> JSONDict:
        """An inline query; like Telegram, only the first 256 characters are passed on."""
        with self._cond:
            query_id = str(self._next_query_id)
            self._next_query_id += 1
            self._open_queries.add(query_id)
            inline = {"id": query_id, "from": self._user(user_id), "query": query[:256]}
            inline.update({"offset": offset, "chat_type": "sender"})
            return self.add_update({"inline_query": inline})

    def private_sticker(self, user_id: int = 1001) -> JSONDict:
        """A private message with a sticker (no text)."""
        sticker = {"file_id": "CAACAgIAAxk-sticker", "file_unique_id": "AgADsticker"}
        sticker.update({"width": 512, "height": 512, "is_animated": False, "is_video": False})
        sticker.update({"type": "regular", "emoji": "\N{THUMBS UP SIGN}"})
        with self._cond:
            msg = self._new_message(self._chat(user_id), self._user(user_id), sticker=sticker)
            return self.add_update({"message": msg})

    def private_photo(self, user_id: int = 1001, caption: str | None = None) -> JSONDict:
        """A private message with a photo (two sizes) and an optional caption."""
        photo = [
            {"file_id": f"AgACphoto{w}", "file_unique_id": f"AQADp{w}", "width": w, "height": w}
            for w in (90, 800)
        ]
        with self._cond:
            chat, user = self._chat(user_id), self._user(user_id)
            msg = self._new_message(chat, user, photo=photo, caption=caption)
            return self.add_update({"message": msg})

    def edited_private_text(self, text: str, message_id: int, user_id: int = 1001) -> JSONDict:
        """An ``edited_message`` update for a private message the user sent earlier."""
        with self._cond:
            original = self._messages.get((user_id, message_id))
            msg: JSONDict = {
                "message_id": message_id,
                "from": self._user(user_id),
                "chat": self._chat(user_id),
                "date": original["date"] if original else int(time.time()),
                "edit_date": int(time.time()),
                **{k: v for k, v in self._text_fields(text, None).items() if v is not None},
            }
            self._messages[(user_id, message_id)] = msg
            return self.add_update({"edited_message": msg})

    # ----------------------------------------------------------------- observing
    def request_log(self, method: str | None = None) -> list[JSONDict]:
        """Full records ``{"method", "params", "time", "status", "fault", "description",
        "content_type"}``.

        ``status`` is the HTTP status (200 = took effect), ``"dropped"`` for a dropped
        connection, ``None`` while still in flight (e.g. a parked long poll).
        """
        with self._cond:
            return copy.deepcopy([e for e in self._log if method in (None, e["method"])])

    def requests(self, method: str | None = None) -> list[dict]:
        """Decoded params of every request received (faulted and failed ones included)."""
        return [entry["params"] for entry in self.request_log(method)]

    def sent_messages(self, chat_id: int | None = None) -> list[dict]:
        """The Message objects answered to successful sendMessage calls, in order."""
        with self._cond:
            return copy.deepcopy([m for m in self._sent if chat_id in (None, m["chat"]["id"])])

    def bot_message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current state of a stored message (after edits), or None."""
        with self._cond:
            return copy.deepcopy(self._messages.get((chat_id, message_id)))

    @property
    def confirmed_offset(self) -> int:
        """The highest offset a successful getUpdates confirmed (0 before any)."""
        with self._cond:
            return self._confirmed_offset

    def pending_updates(self) -> list[dict]:
        """Updates queued and not yet confirmed."""
        with self._cond:
            return copy.deepcopy(self._updates)

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 30.0,
        predicate: Predicate | None = None,
        include_failed: bool = False,
    ) -> list[dict]:
        """Block until ``count`` matching ``method`` requests were seen since start.

        By default only requests that took effect (HTTP 200) count; ``include_failed`` counts
        every request received. A predicate gets the decoded params; one that raises is a
        non-match. Returns the params of all matches; raises AssertionError with a summary
        of what was seen on timeout.
        """

        def matches() -> list[JSONDict]:
            found = []
            for entry in self._log:
                if entry["method"] != method or not (include_failed or entry["status"] == 200):
                    continue
                try:
                    if predicate is None or predicate(entry["params"]):
                        found.append(entry["params"])
                except Exception:
                    pass
            return found

        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := matches()) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"wait_for({method!r}, count={count}): saw {len(found)} matching in "
                        f"{timeout}s.\n{self._summary()}"
                    )
                self._cond.wait(remaining)
            return copy.deepcopy(found)

    async def await_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 30.0,
        predicate: Predicate | None = None,
        include_failed: bool = False,
    ) -> list[dict]:
        """:meth:`wait_for` in a worker thread, so the event loop (and the bot) keep running."""
        return await asyncio.to_thread(
            self.wait_for, method, count, timeout, predicate, include_failed
        )

    def _summary(self) -> str:
        lines = [f"{len(self._log)} requests; last ones:"]
        for e in self._log[-15:]:
            params = json.dumps(e["params"], ensure_ascii=False)
            params = params if len(params) <= 160 else params[:157] + "..."
            extra = f" fault={e['fault']}" if e["fault"] else ""
            extra += f" {e['description']!r}" if e["description"] else ""
            lines.append(f"  {e['method']} -> {e['status']}{extra} {params}")
        return "\n".join(lines)

    # ----------------------------------------------------------------- fault injection
    def inject(
        self, method: str, fault: str, times: int = 1, retry_after: int = 1, delay: float = 0.0
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail; faults fire in injection order.

        "429" flood control with ``retry_after``; "500" JSON error; "502" an nginx HTML page;
        "slow" waits ``delay`` s and still takes effect (a slow sendMessage is delivered;
        a slow getUpdates confirms nothing); "drop" closes the connection unanswered,
        with no effect; "cut" takes effect (a sendMessage is delivered), then closes the
        connection unanswered: the client cannot tell it from "drop".
        """
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}, not {fault!r}")
        if fault == "slow" and delay <= 0:
            raise ValueError("a 'slow' fault needs delay > 0")
        with self._cond:
            queue = self._faults.setdefault(method.lower(), deque())
            queue.extend([_Fault(fault, retry_after, delay)] * times)

    def clear_faults(self) -> None:
        """Forget every fault still waiting: the Bot API works again."""
        with self._cond:
            self._faults.clear()

    # ----------------------------------------------------------------- HTTP plumbing
    def _handle(self, h: _Handler) -> None:
        url = urlsplit(h.path)
        body = self._read_body(h)
        m = re.fullmatch(r"/bot([^/]+)/([A-Za-z_]+)/?", url.path)
        if m is None:
            return self._reply(h, 404, ApiError(404, "Not Found").body())
        if m.group(1) != self.token:
            return self._reply(h, 401, ApiError(401, "Unauthorized").body())
        name = m.group(2)
        handler = self._handlers.get(name.lower())  # Bot API method names ignore case
        method = handler.__name__[3:] if handler else name
        try:
            params = decode_body(h.headers.get("Content-Type", ""), body, url.query)
        except ValueError as exc:
            return self._reply(h, 400, _bad(f"can't parse request body: {exc}").body())
        entry: JSONDict = {"method": method, "params": params, "time": time.time()}
        entry.update({"status": None, "fault": None, "description": None})
        entry["content_type"] = h.headers.get("Content-Type", "").split(";")[0].strip().lower()
        with self._cond:
            self._log.append(entry)
            self._in_flight += 1
            queue = self._faults.get(method.lower())
            fault = queue.popleft() if queue else None
            if fault:
                entry["fault"] = fault.kind
                self.faults_injected.append({"method": method, "fault": fault.kind})
                self.faults_injected[-1]["time"] = entry["time"]
            gen = 0
            if method == "getUpdates":
                self._poll_gen += 1  # at arrival: a newer poll supersedes this one
                gen = self._poll_gen
            self._cond.notify_all()
        try:
            status, answer = self._dispatch(h, method, handler, params, fault, entry, gen)
            if answer is not None:
                self._reply(h, status, answer)
        finally:  # only after the reply is written, so stop() does not cut it off
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def _dispatch(
        self,
        h: _Handler,
        method: str,
        handler: Callable[..., Any] | None,
        params: JSONDict,
        fault: _Fault | None,
        entry: JSONDict,
        gen: int = 0,
    ) -> tuple[int, JSONDict | bytes | None]:
        status: int | str
        answer: JSONDict | bytes | None
        kind = fault.kind if fault else None
        if kind == "drop":
            status, answer = "dropped", None
            h.close_connection = True
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)
        elif fault and kind == "429":
            n = fault.retry_after
            err = ApiError(429, f"Too Many Requests: retry after {n}", {"retry_after": n})
            status, answer = 429, err.body()
        elif kind == "500":
            status, answer = 500, ApiError(500, "Internal Server Error").body()
        elif kind == "502":
            status, answer = 502, _BAD_GATEWAY_HTML
        elif handler is None:
            err = _bad(f"method {method} not found in fake Bot API")
            status, answer = 400, err.body()
        else:
            slow = fault.delay if fault and kind == "slow" else 0.0
            try:
                if method == "getUpdates":
                    self._stopping.wait(slow)  # a slow poll: delayed, and confirms nothing
                    result = self._get_updates(params, gen, confirm=not slow)
                else:
                    result = handler(params)
                status, answer = 200, {"ok": True, "result": result}
            except ApiError as exc:
                status, answer = exc.code, exc.body()
            except Exception as exc:
                self.errors.append(f"{method}: {exc!r}")
                err = ApiError(500, f"Internal Server Error: fake Bot API failed: {exc!r}")
                status, answer = 500, err.body()
            if slow and method != "getUpdates":
                self._set_status(entry, status, answer)  # delivered now; the answer is late
                self._stopping.wait(slow)
            if kind == "cut":  # it took effect; the answer never reaches the client
                self._set_status(entry, status, answer)
                h.close_connection = True
                with contextlib.suppress(OSError):
                    h.connection.shutdown(socket.SHUT_RDWR)
                return 0, None
        self._set_status(entry, status, answer)
        return (status if isinstance(status, int) else 0), answer

    def _set_status(self, entry: JSONDict, status: int | str, answer: Any) -> None:
        with self._cond:
            entry["status"] = status
            if isinstance(answer, dict) and not answer.get("ok"):
                entry["description"] = answer.get("description")
            elif isinstance(answer, bytes):
                entry["description"] = "502 Bad Gateway (HTML)"
            self._cond.notify_all()

    @staticmethod
    def _read_body(h: _Handler) -> bytes:
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(h.rfile.readline().split(b";")[0], 16):
                chunks.append(h.rfile.read(size))
                h.rfile.readline()
            h.rfile.readline()
            return b"".join(chunks)
        return h.rfile.read(int(h.headers.get("Content-Length") or 0))

    @staticmethod
    def _reply(h: _Handler, status: int, answer: JSONDict | bytes) -> None:
        is_html = isinstance(answer, bytes)
        payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "text/html" if is_html else "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
            h.wfile.flush()
        except OSError:  # the client gave up (read timeout) or we are stopping
            h.close_connection = True

    # ----------------------------------------------------------------- updates
    def _confirm(self, offset: Any) -> None:
        if not isinstance(offset, int) or offset == 0:
            return
        if offset < 0:  # the last -offset updates are kept, all before are forgotten
            dropped = self._updates[:offset]
            self._updates = self._updates[offset:]
            if dropped:
                last = dropped[-1]["update_id"] + 1
                self._confirmed_offset = max(self._confirmed_offset, last)
            return
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._confirmed_offset = max(self._confirmed_offset, offset)

    def _deliverable(self, offset: Any) -> list[JSONDict]:
        allowed = self._allowed_updates or None  # [] = Telegram's default set
        default_off = {"chat_member", "message_reaction", "message_reaction_count"}
        out = []
        for u in list(self._updates):
            kind = next(k for k in u if k != "update_id")
            if (kind not in allowed) if allowed else (kind in default_off):
                self._updates.remove(u)  # Telegram never creates unwanted updates
                continue
            if not isinstance(offset, int) or offset <= 0 or u["update_id"] >= offset:
                out.append(u)
        return out

    def _get_updates(self, params: JSONDict, gen: int, confirm: bool) -> list[JSONDict]:
        offset, limit = params.get("offset"), params.get("limit") or 100
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self._cond:
            if isinstance(params.get("allowed_updates"), list):
                self._allowed_updates = params["allowed_updates"]
            if confirm:
                self._confirm(offset)
            while True:
                if self._webhook["url"]:  # also wakes a parked poll when setWebhook comes
                    raise ApiError(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active; "
                        "use deleteWebhook to delete the webhook first",
                    )
                if gen != self._poll_gen:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that "
                        "only one bot instance is running",
                    )
                ready = self._deliverable(offset)
                remaining = deadline - time.monotonic()
                if ready or remaining <= 0 or self._stopping.is_set():
                    return copy.deepcopy(ready[: max(1, min(int(limit), 100))])
                self._cond.wait(remaining)

    # ----------------------------------------------------------------- validation helpers
    def _resolve_chat(self, params: JSONDict) -> JSONDict:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        if isinstance(chat_id, str):
            for chat in self._chats.values():
                if f"@{chat.get('username', '')}".lower() == chat_id.lower():
                    return dict(chat)
            raise _bad("chat not found")
        return self._chat(chat_id)

    @staticmethod
    def _check_markup(markup: Any) -> JSONDict | None:
        """Validate reply_markup; return what a Message echoes (inline keyboards only)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None  # reply keyboards etc. are never part of the returned Message
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
        for button in (b for row in rows for b in row):
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise _bad("BUTTON_DATA_INVALID")
        return markup

    @staticmethod
    def _check_text(params: JSONDict) -> str:
        text = params.get("text")
        if not isinstance(text, str):
            text = "" if text is None else json.dumps(text)
        mode = str(params.get("parse_mode") or "").lower()
        plain = html_plain_text(text) if mode == "html" else text
        if not plain.strip():
            raise _bad("message text is empty")
        if len(plain) > MAX_TEXT:
            raise _bad("message is too long")
        return text

    def _own_message(self, params: JSONDict) -> JSONDict | None:
        """The bot message an edit targets; None for an inline message (not stored)."""
        if params.get("inline_message_id"):
            return None
        chat = self._resolve_chat(params)
        msg = self._messages.get((chat["id"], int(params.get("message_id") or 0)))
        if msg is None:
            raise _bad("message to edit not found")
        if msg["from"].get("id") != self.bot_user["id"]:
            raise _bad("message can't be edited")
        return msg

    # ----------------------------------------------------------------- Bot API methods
    def _m_getMe(self, params: JSONDict) -> JSONDict:
        return dict(self.bot_user)

    def _m_getUpdates(self, params: JSONDict) -> list[JSONDict]:
        raise AssertionError("unreachable: _dispatch serves getUpdates via _get_updates")

    def _m_sendMessage(self, params: JSONDict) -> JSONDict:
        text = self._check_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        with self._cond:
            chat = self._resolve_chat(params)
            reply = params.get("reply_parameters")
            reply_to = None
            if isinstance(reply, dict):
                reply_chat = reply.get("chat_id", chat["id"])
                reply_to = self._messages.get((reply_chat, int(reply.get("message_id") or 0)))
            fields = {
                "text": text,
                "entities": params.get("entities"),
                "link_preview_options": params.get("link_preview_options"),
                "reply_markup": markup,
                "reply_to_message": copy.deepcopy(reply_to),
                "message_thread_id": params.get("message_thread_id"),
            }
            msg = self._new_message(chat, dict(self.bot_user), **fields)
            self._sent.append(copy.deepcopy(msg))
            return copy.deepcopy(msg)

    def _edit(self, params: JSONDict, **changes: Any) -> JSONDict | bool:
        with self._cond:
            msg = self._own_message(params)
            if msg is None:
                return True  # inline messages: Telegram answers True
            new = {**msg, **changes}
            new = {k: v for k, v in new.items() if v is not None and k != "edit_date"}
            old = {k: v for k, v in msg.items() if k != "edit_date"}
            if new == old:
                raise ApiError(400, _NOT_MODIFIED)
            new["edit_date"] = int(time.time())
            self._messages[(msg["chat"]["id"], msg["message_id"])] = new
            return copy.deepcopy(new)

    def _m_editMessageText(self, params: JSONDict) -> JSONDict | bool:
        text = self._check_text(params)
        # Editing the text without reply_markup removes the inline keyboard, as in Telegram.
        markup = self._check_markup(params.get("reply_markup"))
        return self._edit(params, text=text, entities=params.get("entities"), reply_markup=markup)

    def _m_editMessageReplyMarkup(self, params: JSONDict) -> JSONDict | bool:
        markup = self._check_markup(params.get("reply_markup"))
        return self._edit(params, reply_markup=markup)

    def _m_deleteMessage(self, params: JSONDict) -> bool:
        with self._cond:
            chat = self._resolve_chat(params)
            key = (chat["id"], int(params.get("message_id") or 0))
            if self._messages.pop(key, None) is None:
                raise _bad("message to delete not found")
            return True

    def _answer_query(self, query_id: Any) -> None:
        with self._cond:
            if str(query_id) not in self._open_queries:
                raise _bad(_QUERY_TOO_OLD)
            self._open_queries.discard(str(query_id))  # answering twice fails, as in Telegram

    def _m_answerCallbackQuery(self, params: JSONDict) -> bool:
        text = params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._answer_query(params.get("callback_query_id"))
        return True

    def _m_answerInlineQuery(self, params: JSONDict) -> bool:
        results = params.get("results")
        if not isinstance(results, list):
            raise _bad("can't parse inline query results JSON object")
        if len(results) > 50:
            raise _bad("RESULTS_TOO_MUCH")
        ids = [r.get("id") for r in results if isinstance(r, dict)]
        if len(set(ids)) != len(ids):
            raise _bad("RESULT_ID_DUPLICATE")
        for result in results:  # Telegram parses the HTML of the messages results would send
            content = result.get("input_message_content") if isinstance(result, dict) else None
            if isinstance(content, dict) and str(content.get("parse_mode")).lower() == "html":
                html_plain_text(str(content.get("message_text", "")))
        if len(str(params.get("next_offset") or "").encode()) > 64:
            raise _bad("NEXT_OFFSET_INVALID")
        self._answer_query(params.get("inline_query_id"))
        return True

    def _m_sendChatAction(self, params: JSONDict) -> bool:
        with self._cond:
            self._resolve_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _m_getChat(self, params: JSONDict) -> JSONDict:
        with self._cond:
            chat = self._resolve_chat(params)
        gifts = dict.fromkeys(_GIFT_TYPES, False)
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def _m_deleteWebhook(self, params: JSONDict) -> bool:
        with self._cond:
            self._webhook = {"url": ""}
            if params.get("drop_pending_updates") is True:
                self._updates.clear()
        return True

    def _m_setWebhook(self, params: JSONDict) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        with self._cond:
            self._webhook = {k: v for k, v in params.items() if k != "certificate"}
            self._webhook["url"] = url
            if params.get("drop_pending_updates") is True:
                self._updates.clear()
            self._cond.notify_all()  # a parked getUpdates now conflicts
        return True

    def _m_getWebhookInfo(self, params: JSONDict) -> JSONDict:
        with self._cond:
            info = {"url": self._webhook["url"], "has_custom_certificate": False}
            info["pending_update_count"] = len(self._updates)
            for key in ("max_connections", "allowed_updates", "ip_address"):
                if key in self._webhook:
                    info[key] = self._webhook[key]
            return info

    @staticmethod
    def _commands_key(params: JSONDict) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)

    def _m_setMyCommands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for cmd in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(cmd.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise _bad("command description must be 1-256 characters")
        with self._cond:
            self._commands[self._commands_key(params)] = commands
        return True

    def _m_getMyCommands(self, params: JSONDict) -> list[JSONDict]:
        with self._cond:
            return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _m_deleteMyCommands(self, params: JSONDict) -> bool:
        with self._cond:
            self._commands.pop(self._commands_key(params), None)
        return True

    def _m_setChatMenuButton(self, params: JSONDict) -> bool:
        with self._cond:
            self._menu_buttons[str(params.get("chat_id", ""))] = params.get("menu_button") or {
                "type": "default"
            }
        return True

    def _m_getChatMenuButton(self, params: JSONDict) -> JSONDict:
        with self._cond:
            return self._menu_buttons.get(str(params.get("chat_id", "")), {"type": "default"})

    def _m_setMyDescription(self, params: JSONDict) -> bool:
        return True

    def _m_setMyShortDescription(self, params: JSONDict) -> bool:
        return True

    def _m_close(self, params: JSONDict) -> bool:
        return True

    def _m_logOut(self, params: JSONDict) -> bool:
        return True
