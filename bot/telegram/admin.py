"""Admins (ADMIN_USER_IDS) in a private chat: /reload, /stats, /unanswered; and the file watcher.

Anyone else sending these commands gets the ordinary unknown-command reply: the handlers are
registered with a filter on the admin ids, so for others the commands simply do not exist.
"""

from __future__ import annotations

import asyncio
import logging
from html import escape
from typing import Any

from telegram import Message, Update
from telegram.ext import Application

from bot import maintenance
from bot.reload import Signature, knowledge_signature, load_engine
from bot.telegram.replies import chunks
from bot.telegram.state import BotApplication, BotContext, BotState

log = logging.getLogger(__name__)
# context.application is typed loosely by python-telegram-bot: either kind will do here.
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
# Seconds between looks at the knowledge folder; an edit must look the same twice in a row
# before it is loaded (editors save in steps).
SETTLE_TIME = 0.5
PURGE_INTERVAL = 3600.0


async def reload_knowledge(application: AnyApplication, state: BotState, reason: str) -> bool:
    """Validate and swap in new knowledge; on failure keep serving and tell the admins."""
    directory = state.settings.knowledge_dir
    # The model stays loaded across reloads; only the new phrasings are embedded.
    result = await asyncio.to_thread(load_engine, directory, state.engine.semantic)
    if result.engine is not None:
        state.engine = result.engine  # swapped whole: a handler sees the old or the new, never half
        entries = len(result.engine.knowledge.entries)
        state.health.knowledge_loaded(entries)
        state.metrics.reloaded(ok=True, entries=entries)
        log.info("Knowledge reloaded (%s): %d entries.", reason, entries)
        return True
    state.metrics.reloaded(ok=False)
    problems = "\n".join(str(problem) for problem in result.problems)
    log.error(
        "knowledge reload rejected (%s); still serving the previous version:\n%s", reason, problems
    )
    text = f"Knowledge reload rejected ({reason}); still serving the previous version.\n{problems}"
    await notify_admins(application, state, text)
    return False


async def notify_admins(application: AnyApplication, state: BotState, text: str) -> None:
    lines = [escape(line, quote=False) for line in text.splitlines()]
    for admin_id in sorted(state.settings.admin_user_ids):
        for message in chunks(lines, limit=4000):
            try:
                await application.bot.send_message(admin_id, message)
            # An admin who never opened the chat must not stop the others.
            except Exception as error:
                log.warning("could not notify admin: %s", type(error).__name__)


class KnowledgeWatcher:
    """A JobQueue job every WATCH_INTERVAL: reload when the knowledge files changed and have
    stayed unchanged for SETTLE_TIME (editors save in steps)."""

    def __init__(self, seen: Signature) -> None:
        self.seen = seen
        self.changed: Signature | None = None  # a change waiting to settle

    async def __call__(self, context: BotContext) -> None:
        state = context.state
        current = await asyncio.to_thread(knowledge_signature, state.settings.knowledge_dir)
        if current == self.seen:
            self.changed = None
            return
        if current != self.changed:
            self.changed = current  # still being written, or just written: look again
            return
        self.seen, self.changed = current, None
        await reload_knowledge(context.application, state, "files changed")


async def purge_old_questions(context: BotContext) -> None:
    """A JobQueue job: questions past QUESTION_LOG_DAYS are deleted."""
    await asyncio.to_thread(context.state.store.purge_old)


async def start_jobs(application: BotApplication, state: BotState) -> None:
    """The watcher and the purge as python-telegram-bot jobs: started and stopped with the
    application, their failures go to the error handler."""
    jobs = application.job_queue
    assert jobs is not None  # the job-queue extra is a dependency
    # A late run is simply run (no "missed" warnings on a busy machine), and runs that piled
    # up are one run.
    late = {"misfire_grace_time": None, "coalesce": True}
    jobs.run_repeating(
        purge_old_questions, interval=PURGE_INTERVAL, first=0.0, name="purge", job_kwargs=late
    )
    if state.settings.watch_knowledge:
        seen = await asyncio.to_thread(knowledge_signature, state.settings.knowledge_dir)
        jobs.run_repeating(
            KnowledgeWatcher(seen),
            interval=SETTLE_TIME,
            first=SETTLE_TIME,
            name="watcher",
            job_kwargs=late,
        )


async def on_reload(update: Update, context: BotContext) -> None:
    if update.effective_message is None:
        return
    state = context.state
    # A rejected reload reaches every admin (this one included) through notify_admins.
    if await reload_knowledge(context.application, state, "/reload"):
        count = len(state.engine.knowledge.entries)
        await update.effective_message.reply_text(f"Knowledge reloaded: {count} entries.")


async def on_stats(update: Update, context: BotContext) -> None:
    if update.effective_message is None:
        return
    state = context.state
    text = await asyncio.to_thread(maintenance.stats_text, state.engine, state.store)
    await reply_preformatted(update.effective_message, text)


async def on_unanswered(update: Update, context: BotContext) -> None:
    if update.effective_message is None:
        return
    state = context.state
    days = int(context.args[0]) if context.args and context.args[0].isdigit() else None
    text = await asyncio.to_thread(maintenance.unanswered_text, state.engine, state.store, days)
    await reply_preformatted(update.effective_message, text)


async def reply_preformatted(message: Message, text: str) -> None:
    """A report as monospace messages, split on line boundaries to fit Telegram."""
    lines = [escape(line, quote=False) for line in text.splitlines()]
    for chunk in chunks(lines, limit=4000):
        await message.reply_html(f"<pre>{chunk}</pre>")
