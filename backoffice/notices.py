"""The backoffice bot says what core's notices mean, to officers and duty groups, when it sends
them: an alert shows the report as it is then, a summary is computed for its recipient's scope as
it is then. core.notices.resolve has already asked the policy whether the recipient may still have
it (a hand-over, a disabled officer, a role changed since the notice was queued)."""
from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import Bot
from aiogram.methods import SendDocument, SendLocation, SendMessage, SendPhoto, TelegramMethod
from aiogram.types import BufferedInputFile
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.alerts import alert_text, esc
from backoffice.keyboards import alert_keyboard
from core.access import summary_scope
from core.charts import summary_chart
from core.exports import csv_text, workbook
from core.i18n import N_, Translator, translator
from core.notices import Delivery, Kind, officer_by_chat, resolve
from core.region import RegionConfig
from core.report_access import owner_name
from core.report_view import build_view, photo_file_ids
from core.summary import Period, compute, render, window
from db.models import AuditEvent, Officer, RelayQuestion, Report

ACK_LATE = N_("⏰ <b>{ticket}</b> ({category}, {place}) was not acknowledged within its response target. "
              "Please assign it: /lapor {ticket}")
CLOSE_LATE = N_("⏰ <b>{ticket}</b> ({category}, {place}), held by {name}, is past its close target. "
                "/lapor {ticket}")
OWNER_REMINDER = N_("⏰ Reminder: <b>{ticket}</b> is past its target. Please close it or hand it over: "
                    "/lapor {ticket}")


class BackofficeRenderer:
    """Turns a backoffice notice into the Bot API call to make (None: not to be sent)."""

    def __init__(self, region: RegionConfig, citizen_bot: Bot) -> None:
        self.region = region
        # A file_id belongs to the bot that received it: photos are fetched through the citizen bot.
        self.citizen_bot = citizen_bot

    async def __call__(self, session: AsyncSession, chat_id: int, payload: dict[str, Any]) -> TelegramMethod | None:
        if "render" in payload:
            payload = await self._legacy(session, chat_id, payload)
        delivery = await resolve(session, self.region, chat_id=chat_id, payload=payload)
        if delivery is None:
            return None
        tr = translator(delivery.recipient.language)
        kind = delivery.kind
        if kind in (Kind.ALERT, Kind.ALERT_LOCATION, Kind.ALERT_PHOTO):
            return await self._alert(session, delivery, tr)
        if kind in (Kind.SUMMARY, Kind.SUMMARY_CHART, Kind.SUMMARY_XLSX, Kind.SUMMARY_CSV):
            return await self._summary(session, delivery, tr)
        text = await self._text(session, delivery, tr)
        return SendMessage(chat_id=chat_id, text=text) if text else None

    async def _alert(self, session: AsyncSession, delivery: Delivery, tr: Translator) -> TelegramMethod | None:
        report, recipient = delivery.report, delivery.recipient
        assert report is not None
        if delivery.kind == Kind.ALERT:
            view = await build_view(session, self.region, report, actor=recipient.officer, channel=recipient.channel)
            return SendMessage(chat_id=recipient.chat_id, text=alert_text(view, self.region, tr),
                               reply_markup=alert_keyboard(tr, view))
        if delivery.kind == Kind.ALERT_LOCATION:
            if report.latitude is None or report.longitude is None:
                return None
            return SendLocation(chat_id=recipient.chat_id, latitude=report.latitude, longitude=report.longitude)
        photos = await photo_file_ids(session, report.id)
        index = delivery.args.get("index", 0)
        if not isinstance(index, int) or not 0 <= index < len(photos):
            return None
        file = await self.citizen_bot.get_file(photos[index])
        data = await self.citizen_bot.download_file(file.file_path) if file.file_path else None
        if data is None:  # Telegram gives no path for a file it no longer keeps
            return None
        photo = BufferedInputFile(data.read(), filename=f"{report.ticket}.jpg")
        return SendPhoto(chat_id=recipient.chat_id, photo=photo,
                         caption=f"{esc(report.ticket)} · {index + 1}/{len(photos)}")

    async def _summary(self, session: AsyncSession, delivery: Delivery, tr: Translator) -> TelegramMethod | None:
        officer, args, chat_id = delivery.recipient.officer, delivery.args, delivery.recipient.chat_id
        assert officer is not None
        try:
            win = window(self.region, Period(args["period"]), date.fromisoformat(args["first_day"]))
        except (KeyError, ValueError, TypeError):
            return None
        scope = summary_scope(officer)
        if delivery.kind == Kind.SUMMARY:
            summary = await compute(session, self.region, win, scope)
            return SendMessage(chat_id=chat_id, text=render(summary, self.region, tr, late=bool(args.get("late"))))
        name = f"{self.region.region.code}-{scope.agency + '-' if scope.agency else ''}{win.key.replace(':', '-')}"
        if delivery.kind == Kind.SUMMARY_CHART:
            png = await summary_chart(session, self.region, win, tr.lang, scope)
            return SendPhoto(chat_id=chat_id, photo=BufferedInputFile(png, filename=f"{name}.png"))
        if delivery.kind == Kind.SUMMARY_XLSX:
            data = await workbook(session, self.region, win.start, win.end, scope, language=tr.lang)
            return SendDocument(chat_id=chat_id, document=BufferedInputFile(data, filename=f"{name}.xlsx"),
                                caption=tr("Reports of the period and their history (Excel)."))
        text = await csv_text(session, self.region, win.start, win.end, scope, language=tr.lang)
        return SendDocument(chat_id=chat_id, document=BufferedInputFile(text.encode("utf-8"), filename=f"{name}.csv"))

    async def _text(self, session: AsyncSession, delivery: Delivery, tr: Translator) -> str | None:
        kind, args, report = delivery.kind, delivery.args, delivery.report
        if kind == Kind.OFFICER_UNREACHABLE:
            return tr("⚠️ {name} has blocked the officers' bot and no longer receives alerts.", name=args["name"])
        if kind == Kind.ANSWER:
            question = await session.get_one(RelayQuestion, args["question"])
            report = await session.get_one(Report, question.report_id)
            return tr("💬 The reporter of <b>{ticket}</b> answers:\n<i>{answer}</i>\n(your question: {question})",
                      ticket=report.ticket, answer=question.answer, question=question.question)
        assert report is not None
        if kind == Kind.INFO_ADDED:
            if args.get("photo"):
                return tr("📷 The reporter of <b>{ticket}</b> added a photo: /lapor {ticket}", ticket=report.ticket)
            event = await session.get(AuditEvent, args.get("event", 0))
            if event is None or event.report_id != report.id or not event.note:
                return None  # gone (retention) since it was queued
            return tr("➕ The reporter of <b>{ticket}</b> adds:\n<i>{text}</i>", ticket=report.ticket, text=event.note)
        if kind == Kind.REMINDER:
            return tr(OWNER_REMINDER, ticket=report.ticket)
        if kind == Kind.ASSIGNED:
            by = await session.get(Officer, args.get("by", 0))
            return tr("👤 {name} assigned <b>{ticket}</b> to you: /lapor {ticket}", name=by.name if by else "-",
                      ticket=report.ticket)
        if kind == Kind.ESCALATION:
            return tr(CLOSE_LATE if args.get("late") == "close" else ACK_LATE, ticket=report.ticket,
                      category=self.region.category(report.category).label.get(tr.lang),
                      place=report.kecamatan or "-", name=await owner_name(session, report))
        return None

    async def _legacy(self, session: AsyncSession, chat_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        """A row queued before notices (migration 0007) named only its chat: its recipient is
        whoever that chat is now, asked of the policy like any notice."""
        kind = payload.get("render")
        officer = await officer_by_chat(session, chat_id)
        group = next((a.code for a in self.region.agencies if a.duty_chat_id == chat_id), None)
        to = {"officer": officer.id} if officer is not None else {"duty_group": group}
        args = {k: v for k, v in payload.items() if k not in ("render", "report_id")}
        if "report_id" in payload:
            args["report"] = payload["report_id"]
        return {"notice": kind, "to": to, **args}
