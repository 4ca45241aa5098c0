"""The officers' buttons. Callback data carries an action and a report id, nothing else: what an
officer may do is decided on the server, by the policy, from the database. A message offers the
buttons the policy allows its audience (core.report_view.ReportView.actions)."""
from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from core.access import Action
from core.i18n import Translator
from core.ids import DbId
from core.report_view import ReportView


class OfficerAction(StrEnum):
    """What an officer's button asks for; the short values keep callback data under 64 bytes."""

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


OA = OfficerAction  # the name the handlers and tests use


class OfficerCb(CallbackData, prefix="o"):
    action: OfficerAction
    report: DbId
    # An outcome or agency code from the region config (a-z0-9_, at most 24 characters).
    arg: str = ""


# The policy's action each button asks for (buttons that only continue a conversation are
# checked by the service that ends it).
BUTTON_ACTIONS = {
    OA.ACK: Action.ACKNOWLEDGE, OA.DETAILS: Action.VIEW, OA.ON_THE_WAY: Action.START_HANDLING,
    OA.CLOSE: Action.CLOSE, OA.OUTCOME: Action.CLOSE, OA.REJECT: Action.REJECT, OA.HANDOVER: Action.HAND_OVER,
    OA.HANDOVER_TO: Action.HAND_OVER, OA.ASK: Action.ASK_REPORTER, OA.MERGE: Action.MARK_DUPLICATE,
    OA.REOPEN: Action.REOPEN, OA.REASSIGN: Action.REASSIGN, OA.REASSIGN_TO: Action.REASSIGN,
    OA.DUPLICATE: Action.MARK_DUPLICATE, OA.NOTE: Action.ADD_NOTE,
}


def btn(text: str, action: OfficerAction, report_id: int, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=OfficerCb(action=action, report=report_id, arg=arg).pack())


def alert_keyboard(tr: Translator, view: ReportView, *, details: bool = True) -> InlineKeyboardMarkup:
    """The buttons under a report: exactly the actions its audience may take now (`details`
    False: the message already is the details)."""
    can = view.actions
    rows: list[list[InlineKeyboardButton]] = []
    supervisor = [b for a, b in ((Action.REOPEN, btn(tr.plain("🔁 Reopen"), OA.REOPEN, view.id)),
                                 (Action.REASSIGN, btn(tr.plain("👤 Reassign"), OA.REASSIGN, view.id))) if a in can]
    if supervisor:
        rows.append(supervisor)
    if Action.ACKNOWLEDGE in can:
        rows.append([btn(tr.plain("✋ Acknowledge"), OA.ACK, view.id)])
    if Action.START_HANDLING in can:
        rows.append([btn(tr.plain("🚶 On the way"), OA.ON_THE_WAY, view.id)])
    if Action.CLOSE in can:
        rows.append([btn(tr.plain("✅ Close"), OA.CLOSE, view.id)])
    work = [b for a, b in ((Action.ASK_REPORTER, btn(tr.plain("❓ Ask the reporter"), OA.ASK, view.id)),
                           (Action.ADD_NOTE, btn(tr.plain("📝 Note"), OA.NOTE, view.id))) if a in can]
    if work:
        rows.append(work)
    moves = [b for a, b in ((Action.HAND_OVER, btn(tr.plain("🔀 Hand over"), OA.HANDOVER, view.id)),
                            (Action.REJECT, btn(tr.plain("⛔ Reject"), OA.REJECT, view.id))) if a in can]
    if moves:
        rows.append(moves)
    if Action.MARK_DUPLICATE in can:
        row = [btn(tr.plain("🔗 Duplicate of…"), OA.DUPLICATE, view.id)]
        if view.can_merge_nearby:
            # The target is read from the database when pressed, not from this button.
            row.insert(0, btn(tr.plain("🔗 Merge into the nearby report"), OA.MERGE, view.id))
        rows.append(row)
    if details and Action.VIEW in can:
        rows.append([btn(tr.plain("📄 Details"), OA.DETAILS, view.id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
