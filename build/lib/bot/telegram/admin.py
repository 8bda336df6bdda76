"""Admins (ADMIN_USER_IDS) in a private chat: /reload, /stats, /unanswered; and the file watcher.

Anyone else sending these commands gets the ordinary unknown-command reply: the handlers are
registered with a filter on the admin ids, so for others the commands simply do not exist.
"""

from __future__ import annotations

import asyncio
import logging
from html import escape

from telegram import Message, Update
from telegram.ext import Application, ContextTypes

from bot import maintenance
from bot.reload import Signature, knowledge_signature, load_engine
from bot.telegram.commands import chunks
from bot.telegram.state import BotState, get_state

log = logging.getLogger(__name__)
WATCH_INTERVAL = 1.0  # seconds between looks at the knowledge folder
# An edit must stay unchanged this long before it is loaded (editors save in steps).
SETTLE_TIME = 0.5
PURGE_INTERVAL = 3600.0


async def reload_knowledge(application: Application, state: BotState, reason: str) -> bool:
    """Validate and swap in new knowledge; on failure keep serving and tell the admins."""
    directory = state.settings.knowledge_dir
    # The model stays loaded across reloads; only the new phrasings are embedded.
    result = await asyncio.to_thread(load_engine, directory, state.engine.semantic)
    if result.engine is not None:
        state.engine = result.engine  # swapped whole: a handler sees the old or the new, never half
        summary = f"Knowledge reloaded ({reason}): {len(result.engine.knowledge.entries)} entries."
        log.info(summary)
        return True
    problems = "\n".join(str(problem) for problem in result.problems)
    log.error(
        "knowledge reload rejected (%s); still serving the previous version:\n%s", reason, problems
    )
    text = f"Knowledge reload rejected ({reason}); still serving the previous version.\n{problems}"
    await notify_admins(application, state, text)
    return False


async def notify_admins(application: Application, state: BotState, text: str) -> None:
    lines = [escape(line, quote=False) for line in text.splitlines()]
    for admin_id in sorted(state.settings.admin_user_ids):
        for message in chunks(lines, limit=4000):
            try:
                await application.bot.send_message(admin_id, message)
            # An admin who never opened the chat must not stop the others.
            except Exception as error:
                log.warning("could not notify admin: %s", type(error).__name__)


async def watch_knowledge(application: Application, state: BotState) -> None:
    """Reload when the knowledge files change; also purge old questions now and then."""
    directory = state.settings.knowledge_dir
    seen: Signature = await asyncio.to_thread(knowledge_signature, directory)
    last_purge = 0.0
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(WATCH_INTERVAL)
        try:
            if state.store is not None and loop.time() - last_purge >= PURGE_INTERVAL:
                await asyncio.to_thread(state.store.purge_old)
                last_purge = loop.time()
            if not state.settings.watch_knowledge:
                continue
            current = await asyncio.to_thread(knowledge_signature, directory)
            if current == seen:
                continue
            await asyncio.sleep(SETTLE_TIME)
            settled = await asyncio.to_thread(knowledge_signature, directory)
            if settled != current:
                continue  # still being written: look again next round
            seen = settled
            await reload_knowledge(application, state, "files changed")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("knowledge watcher failed; trying again")


async def on_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is None:
        return
    state = get_state(context)
    # A rejected reload reaches every admin (this one included) through notify_admins.
    if await reload_knowledge(context.application, state, "/reload"):
        count = len(state.engine.knowledge.entries)
        await update.effective_message.reply_text(f"Knowledge reloaded: {count} entries.")


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is None:
        return
    state = get_state(context)
    text = await asyncio.to_thread(maintenance.stats_text, state.engine, state.store)
    await reply_preformatted(update.effective_message, text)


async def on_unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is None:
        return
    state = get_state(context)
    days = int(context.args[0]) if context.args and context.args[0].isdigit() else None
    text = await asyncio.to_thread(maintenance.unanswered_text, state.engine, state.store, days)
    await reply_preformatted(update.effective_message, text)


async def reply_preformatted(message: Message, text: str) -> None:
    """A report as monospace messages, split on line boundaries to fit Telegram."""
    lines = [escape(line, quote=False) for line in text.splitlines()]
    for chunk in chunks(lines, limit=4000):
        await message.reply_html(f"<pre>{chunk}</pre>")
