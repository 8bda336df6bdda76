"""Texts only Telegram needs (flood control, non-text messages). What the conversation says is
in bot/conversation.py and knowledge/messages.yaml, the same for every front end."""

from __future__ import annotations

NON_TEXT = "I can only read text: please type your question about ketamine research."
SLOW_DOWN = (
    "You're sending messages faster than I can answer well. Please wait a minute, then ask again."
)
GROUP_SLOW_DOWN = "I'm answering a lot here right now, so I'll pause for a minute. You can also ask me in a private chat."
