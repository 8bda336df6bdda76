"""A Reply as plain text (console, `ask`) or as Telegram HTML (escaped, within 4096 characters)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from html import escape

from bot.knowledge import Helpline, Source
from bot.reply import Reply, ReplyKind

TELEGRAM_LIMIT = 4096
ELLIPSIS = "…"


def _escape(value: str) -> str:
    """Text content: only <, > and & need escaping (quotes matter only inside attributes)."""
    return escape(value, quote=False)


def _year(source: Source) -> str:
    """The year in brackets, unless the title already names it."""
    return f" ({source.year})" if source.year and str(source.year) not in source.title else ""


def source_text(source: Source) -> str:
    return f"{source.title}{_year(source)}: {source.url}"


def source_html(source: Source) -> str:
    link = f'<a href="{escape(source.url, quote=True)}">{_escape(source.title)}</a>'
    return link + _escape(_year(source))


def _helpline_text(helpline: Helpline) -> str:
    url = f" ({helpline.url})" if helpline.url else ""
    return f"{helpline.name}: {helpline.contact}{url}"


def _helpline_html(helpline: Helpline) -> str:
    url = (
        f' (<a href="{escape(helpline.url, quote=True)}">{_escape(helpline.url)}</a>)'
        if helpline.url
        else ""
    )
    return f"<b>{_escape(helpline.name)}</b>: {_escape(helpline.contact)}{url}"


def text(reply: Reply) -> str:
    """The reply exactly as a console user reads it."""
    return _compose(reply, html=False)


def html(reply: Reply, limit: int = TELEGRAM_LIMIT) -> str:
    """The reply as Telegram HTML, never longer than `limit` characters."""
    rendered = _compose(reply, html=True)
    # Too long: only an oversized answer can do this (the validator prevents it for shipped
    # knowledge). Shorten the plain-text body, so that no tag or entity is cut in half.
    body = reply.body
    while len(rendered) > limit and body:
        excess = len(rendered) - limit
        body = body[: max(0, len(body) - excess - len(ELLIPSIS))].rstrip()
        rendered = _compose(replace(reply, body=body + ELLIPSIS), html=True)
    if len(rendered) <= limit:
        return rendered
    # Still too long without a body: escaped plain text, cut before escaping.
    plain = _compose(reply, html=False)
    while len(_escape(plain)) > limit:
        plain = plain[: min(len(plain) - 1, len(plain) * limit // len(_escape(plain)))]
    # Telegram trims whitespace and refuses an empty message: never send nothing.
    return _escape(plain) if plain.strip() else ELLIPSIS


def _compose(reply: Reply, *, html: bool) -> str:
    esc: Callable[[str], str] = _escape if html else (lambda value: value)

    def bold(value: str) -> str:
        return f"<b>{esc(value)}</b>" if html else value

    def italic(value: str) -> str:
        return f"<i>{esc(value)}</i>" if html else value

    blocks: list[str] = []
    if reply.kind is ReplyKind.ANSWER:
        if reply.title:
            blocks.append(bold(reply.title))
        blocks.append(esc(reply.body))
        if reply.note:
            blocks.append(f"{bold('About the article:')} {esc(reply.note)}")
        if reply.sources:
            render_source = source_html if html else source_text
            lines = [f"• {render_source(source)}" for source in reply.sources]
            blocks.append("\n".join([bold("Sources:"), *lines]))
        if reply.evidence:
            blocks.append(f"Evidence: {esc(reply.evidence)}")
    elif reply.kind is ReplyKind.SUGGEST:
        lines = [f"{number}. {esc(s.question)}" for number, s in enumerate(reply.suggestions, 1)]
        blocks.append("\n".join([esc(reply.body), *lines]))
    elif reply.kind is ReplyKind.CRISIS:
        blocks.append(esc(reply.body))
        render_helpline = _helpline_html if html else _helpline_text
        blocks.append("\n".join(f"• {render_helpline(helpline)}" for helpline in reply.helplines))
        if reply.closing:
            blocks.append(esc(reply.closing))
    else:
        blocks.append(esc(reply.body))
    if reply.disclaimer:
        blocks.append(italic(reply.disclaimer))
    return "\n\n".join(blocks)
