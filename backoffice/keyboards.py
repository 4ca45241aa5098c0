"""The officers' buttons. Callback data carries an action and a report id, nothing else: what an
officer may do is decided on the server from the database."""
from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.callback_answer import CallbackAnswer

from core.i18n import Translator
from core.ids import DbId
from core.lifecycle import ReportState
from core.report_actions import ActionRefused
from db.models import Report


class OA(StrEnum):
    ACK = "ack"
    DETAILS = "det"
    ON_THE_WAY = "way"
    CLOSE = "close"
    OUTCOME = "outc"
    REJECT = "rej"
    HANDOVER = "hand"
    HANDOVER_TO = "to"
    ASK = "ask"
    MERGE = "merge"
    REOPEN = "reopen"
    REASSIGN = "reas"
    REASSIGN_TO = "reasto"
    DUPLICATE = "dup"
    NOTE = "note"
    SKIP = "skip"
    CANCEL = "cancel"


class OfficerCb(CallbackData, prefix="o"):
    action: OA
    report: DbId
    # An outcome or agency code from the region config (a-z0-9_, at most 24 characters).
    arg: str = ""


def refuse(callback_answer: CallbackAnswer, text: str) -> None:
    """The alert a pressed button gets; the callback-answer middleware sends it after the handler."""
    callback_answer.text, callback_answer.show_alert = text, True


def refuse_action(callback_answer: CallbackAnswer, tr: Translator, exc: ActionRefused) -> None:
    refuse(callback_answer, tr.plain(exc.reason, **exc.args_))


def btn(text: str, action: OA, report_id: int, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=OfficerCb(action=action, report=report_id, arg=arg).pack())


def supervisor_row(tr: Translator, report: Report) -> list[InlineKeyboardButton]:
    """Shown to supervisors on a report's details; the service checks the role again."""
    if report.state in (ReportState.SELESAI, ReportState.DITOLAK, ReportState.DUPLIKAT):
        return [btn(tr.plain("🔁 Reopen"), OA.REOPEN, report.id)]
    if report.state in (ReportState.BARU, ReportState.DIALIHKAN, ReportState.DITERIMA, ReportState.DITANGANI):
        return [btn(tr.plain("👤 Reassign"), OA.REASSIGN, report.id)]
    return []


def alert_keyboard(tr: Translator, report: Report, supervisor: bool = False) -> InlineKeyboardMarkup:
    rows = []
    if supervisor and supervisor_row(tr, report):
        rows.append(supervisor_row(tr, report))
    if report.state in (ReportState.BARU, ReportState.DIALIHKAN) and report.owner_id is None:
        rows.append([btn(tr.plain("✋ Acknowledge"), OA.ACK, report.id)])
    if report.state == ReportState.DITERIMA:
        rows.append([btn(tr.plain("🚶 On the way"), OA.ON_THE_WAY, report.id)])
    if report.state in (ReportState.DITERIMA, ReportState.DITANGANI):
        rows.append([btn(tr.plain("✅ Close"), OA.CLOSE, report.id)])
        rows.append([btn(tr.plain("❓ Ask the reporter"), OA.ASK, report.id),
                     btn(tr.plain("📝 Note"), OA.NOTE, report.id)])
    if report.state in (ReportState.BARU, ReportState.DIALIHKAN, ReportState.DITERIMA, ReportState.DITANGANI):
        rows.append([btn(tr.plain("🔀 Hand over"), OA.HANDOVER, report.id),
                     btn(tr.plain("⛔ Reject"), OA.REJECT, report.id)])
    if report.state in (ReportState.BARU, ReportState.DIALIHKAN, ReportState.DITERIMA, ReportState.DITANGANI):
        row = [btn(tr.plain("🔗 Duplicate of…"), OA.DUPLICATE, report.id)]
        if report.near_report_id is not None:
            # The target is read from the database when pressed, not from this button.
            row.insert(0, btn(tr.plain("🔗 Merge into the nearby report"), OA.MERGE, report.id))
        rows.append(row)
    rows.append([btn(tr.plain("📄 Details"), OA.DETAILS, report.id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
