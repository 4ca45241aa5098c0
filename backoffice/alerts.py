"""Dispatch alerts as officers see them, rendered when the outbox sends them (so an alert shows
the report as it is then: already taken by someone, say)."""
from __future__ import annotations

import html
from datetime import date
from typing import Any

from aiogram import Bot
from aiogram.methods import SendDocument, SendLocation, SendMessage, SendPhoto, TelegramMethod
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.keyboards import alert_keyboard
from core.dispatch import nearby_for
from core.draft import (
    AGE_GROUP_LABELS,
    PEOPLE_COUNT_LABELS,
    REPORTER_TYPE_LABELS,
    AgeGroup,
    PeopleCount,
    ReporterType,
)
from core.charts import summary_chart
from core.exports import csv_text, workbook
from core.i18n import Translator, translator
from core.region import RegionConfig
from core.report_actions import owner_name
from core.summary import Period, window
from db.models import Officer, Report, ReportPhoto, Reporter


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


async def alert_text(session: AsyncSession, region: RegionConfig, report: Report, tr: Translator) -> str:
    category = region.category(report.category)
    tz = region.tz
    place = ", ".join(p for p in [
        f"Kec. {report.kecamatan}" if report.kecamatan else "",
        f"Desa/Kel. {report.desa}" if report.desa else "",
        tr.plain("outside the region") if report.outside_region else "",
    ] if p)
    near = await nearby_for(session, region, report)
    lines = [
        ("🚨 " if report.urgent else "🆕 ") + f"<b>{esc(report.ticket)}</b> · {esc(category.label.get(tr.lang))}",
        tr("<b>Place:</b> {v}", v=place or "-"),
    ]
    if report.landmark:
        lines.append(tr("<b>Landmark:</b> {v}", v=report.landmark))
    lines += [
        tr("<b>Seen:</b> {v}", v=report.seen_at.astimezone(tz).strftime("%d-%m %H:%M")),
        tr("<b>People:</b> {count}, {age}",
           count=tr.plain(PEOPLE_COUNT_LABELS[PeopleCount(report.people_count)]) if report.people_count else "-",
           age=tr.plain(AGE_GROUP_LABELS[AgeGroup(report.age_group)]) if report.age_group else "-"),
        tr("<b>Description:</b> {v}", v=(report.description or "-")[:1500]),
        tr("<b>Respond by:</b> {v}", v=report.response_due_at.astimezone(tz).strftime("%d-%m %H:%M")),
    ]
    if report.urgent:
        lines.append(tr("⚠️ <b>URGENT:</b> the reporter says someone is in danger now."))
    if not report.anonymous:
        # The resident chose to let officers see their name; contact still goes through the bot.
        reporter = await session.get(Reporter, report.reporter_id)
        if reporter is not None and reporter.display_name:
            lines.append(tr("<b>Reporter:</b> {name} ({kind}; agreed to be named)", name=reporter.display_name,
                            kind=tr.plain(REPORTER_TYPE_LABELS[ReporterType(report.reporter_type)])))
    if near:
        lines.append(tr("🔁 Earlier open reports nearby: {n} (latest {ticket})", n=len(near), ticket=near[0].ticket))
    if report.owner_id is not None:
        lines.append(tr("👤 Taken by {name} ({state})", name=await owner_name(session, report), state=report.state))
    return "\n".join(lines)


class AlertRenderer:
    """Turns a backoffice outbox row into the Bot API call to make (None: nothing left to send)."""

    def __init__(self, region: RegionConfig, citizen_bot: Bot) -> None:
        self.region = region
        self.citizen_bot = citizen_bot

    async def __call__(self, session: AsyncSession, chat_id: int, payload: dict[str, Any]) -> TelegramMethod | None:
        officer = (await session.execute(select(Officer).where(Officer.chat_id == chat_id))).scalars().first()
        tr = translator(officer.language if officer else self.region.region.default_language)
        kind = payload["render"]
        if kind.startswith("summary_"):
            return await self._summary_attachment(session, chat_id, payload, tr)
        report = await session.get(Report, payload["report_id"])
        if report is None:
            return None
        if kind == "alert":
            markup: InlineKeyboardMarkup = alert_keyboard(tr, report)
            return SendMessage(chat_id=chat_id, text=await alert_text(session, self.region, report, tr),
                               reply_markup=markup)
        if kind == "alert_location" and report.latitude is not None:
            return SendLocation(chat_id=chat_id, latitude=report.latitude, longitude=report.longitude)
        if kind == "alert_photo":
            photos = list((await session.execute(
                select(ReportPhoto).where(ReportPhoto.report_id == report.id, ReportPhoto.purged_at.is_(None))
                .order_by(ReportPhoto.id))).scalars())
            index = payload.get("index", 0)
            if index >= len(photos):
                return None
            # A file_id belongs to the bot that received it: fetch through the citizen bot, upload anew.
            file = await self.citizen_bot.get_file(photos[index].file_id)
            data = await self.citizen_bot.download_file(file.file_path)
            return SendPhoto(chat_id=chat_id, photo=BufferedInputFile(data.read(), filename=f"{report.ticket}.jpg"),
                             caption=f"{esc(report.ticket)} · {index + 1}/{len(photos)}")
        return None

    async def _summary_attachment(self, session: AsyncSession, chat_id: int, payload: dict[str, Any],
                                  tr: Translator) -> TelegramMethod | None:
        win = window(self.region, Period(payload["period"]), date.fromisoformat(payload["first_day"]))
        name = f"{self.region.region.code}-{win.key.replace(':', '-')}"
        if payload["render"] == "summary_chart":
            png = await summary_chart(session, self.region, win, tr.lang)
            return SendPhoto(chat_id=chat_id, photo=BufferedInputFile(png, filename=f"{name}.png"))
        if payload["render"] == "summary_xlsx":
            data = await workbook(session, self.region, win.start, win.end)
            return SendDocument(chat_id=chat_id, document=BufferedInputFile(data, filename=f"{name}.xlsx"),
                                caption=tr("Reports of the period and their history (Excel)."))
        if payload["render"] == "summary_csv":
            text = await csv_text(session, self.region, win.start, win.end)
            return SendDocument(chat_id=chat_id, document=BufferedInputFile(text.encode("utf-8"),
                                                                            filename=f"{name}.csv"))
        return None
