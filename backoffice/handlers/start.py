"""/start (and invite links) and /bantuan for officers."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.state import default_state
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.handlers.queue import require
from core.access import PRIVATE, Channel, Role, View, may_view
from core.clock import Clock
from core.i18n import N_, Translator, translator
from core.officers import OfficerInfo, redeem_invite
from core.refusals import record_refusal
from core.region import RegionConfig

ROLE_LABELS = {
    Role.OFFICER: N_("field officer"),
    Role.SUPERVISOR: N_("supervisor"),
    Role.ADMIN: N_("administrator"),
    Role.AUDITOR: N_("auditor (read only, the whole region)"),
}
# What each command shows, asked of the policy: an officer's help lists only what their role may use.
COMMANDS = [
    (View.QUEUE, "/antrian", N_("open reports of your agency, with filters")),
    (View.TASKS, "/tugas", N_("the reports you hold")),
    (View.OVERDUE, "/terlambat", N_("overdue reports, oldest first")),
    (View.QUEUE, "/lapor TICKET", N_("one report and its whole history")),
    (View.SUMMARY, "/ringkasan hari|minggu|bulan", N_("a summary now, with its chart and files")),
    (View.SUBSCRIPTIONS, "/langganan", N_("choose your scheduled summaries")),
    (View.HELP, "/dasbor", N_("a login link to the web dashboard")),
]


def help_text(tr: Translator, officer: OfficerInfo, region: RegionConfig) -> str:
    agency = region.agency(officer.agency).short.get(tr.lang)
    lines = [
        tr("👮 <b>Lapor PMKS — officers</b>, {agency}", agency=agency),
        tr("You are registered as {name} ({role}).", name=officer.name, role=tr.plain(ROLE_LABELS[officer.role])),
    ]
    if officer.role != Role.AUDITOR:
        lines.append(tr("New reports for your agency arrive here as alerts: tap ✋ Acknowledge to take one."))
    lines += ["", tr("<b>What you can do here</b>")]
    lines += [f"{command} — {tr.plain(what)}" for view, command, what in COMMANDS
              if may_view(officer, view, PRIVATE)]
    lines.append("/bantuan — " + tr.plain("this help"))
    return "\n".join(lines)


def router() -> Router:
    r = Router(name="backoffice-start")

    @r.message(CommandStart())
    async def start(message: Message, command: CommandObject, officer: OfficerInfo | None, channel: Channel,
                    tr: Translator, region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        if officer is None:
            # Only in a private chat (backoffice.middlewares lets nothing else through to here).
            user = message.from_user
            assert user is not None  # the middleware answers only updates with a sender
            code = (command.args or "").strip()
            registered = await redeem_invite(
                session, now=clock.now(), code=code, telegram_id=user.id, chat_id=message.chat.id,
                name=user.full_name, language=region.region.default_language) if code else None
            if registered is None:
                await record_refusal(session, now=clock.now(), telegram_id=user.id,
                                     chat_id=message.chat.id, what="invalid invite")
                await message.answer(tr("This invitation link is not valid any more (used or expired). "
                                        "Ask your agency's admin for a new one."))
                return
            officer, tr = registered, translator(registered.language)
            await message.answer(tr("✅ Welcome, {name}! You are now registered.", name=officer.name))
        require(officer, View.HELP, channel)
        await message.answer(help_text(tr, officer, region))

    @r.message(Command("bantuan", "help"))
    async def help_(message: Message, officer: OfficerInfo, channel: Channel, tr: Translator,
                    region: RegionConfig) -> None:
        require(officer, View.HELP, channel)
        await message.answer(help_text(tr, officer, region))

    return r


def pointer_router() -> Router:
    """Last for messages: text an officer types outside any conversation gets a short pointer, not
    silence (in the private chat; a duty group's chatter is left alone)."""
    r = Router(name="backoffice-pointer")

    @r.message(StateFilter(default_state), F.chat.type == "private")
    async def anything_else(message: Message, officer: OfficerInfo | None, tr: Translator) -> None:
        if officer is None:  # a stranger was answered (or not, past the limit) before this
            return
        await message.answer(tr("I only understand commands here. /bantuan lists what you can do; new reports "
                                "arrive as alerts."))

    return r
