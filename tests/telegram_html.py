"""A strict checker for Telegram's HTML parse mode: only its tag subset, balanced, escaped."""

from __future__ import annotations

from html.parser import HTMLParser

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "blockquote",
    "tg-emoji",
}
ALLOWED_ENTITIES = {"lt", "gt", "amp", "quot"}


class TelegramHTMLError(AssertionError):
    pass


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise TelegramHTMLError(f"tag <{tag}> is not allowed")
        if tag == "a" and (len(attrs) != 1 or attrs[0][0] != "href" or not attrs[0][1]):
            raise TelegramHTMLError("<a> needs exactly one href")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise TelegramHTMLError(f"unbalanced </{tag}>")
        self.stack.pop()

    def handle_entityref(self, name: str) -> None:
        if name not in ALLOWED_ENTITIES:
            raise TelegramHTMLError(f"entity &{name}; is not supported")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            raise TelegramHTMLError(f"unescaped angle bracket in {data[:40]!r}")

    def unknown_decl(self, data: str) -> None:
        raise TelegramHTMLError(f"declaration {data[:40]!r}")

    def handle_comment(self, data: str) -> None:
        raise TelegramHTMLError("comments are not allowed")

    def handle_decl(self, decl: str) -> None:
        raise TelegramHTMLError("declarations are not allowed")

    def handle_pi(self, data: str) -> None:
        raise TelegramHTMLError("processing instructions are not allowed")


def check_telegram_html(text: str, limit: int = 4096) -> None:
    """Raise TelegramHTMLError unless Telegram would accept `text` as an HTML message."""
    if not text.strip():
        raise TelegramHTMLError("empty message")
    if len(text) > limit:
        raise TelegramHTMLError(f"{len(text)} characters, over {limit}")
    # A bare "&" that does not start an entity is rejected by Telegram.
    index = text.find("&")
    while index != -1:
        end = text.find(";", index)
        name = text[index + 1 : end] if end != -1 else ""
        numeric = (
            name.startswith("#x")
            and all(c in "0123456789abcdefABCDEF" for c in name[2:])
            and len(name) > 2
        )
        numeric = numeric or (name.startswith("#") and name[1:].isdigit())
        if not (name in ALLOWED_ENTITIES or numeric):
            raise TelegramHTMLError(f"bare & at {index}")
        index = text.find("&", index + 1)
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        raise TelegramHTMLError(f"unclosed tags {checker.stack}")
