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



class OfficerCb(CallbackData, prefix="o"):
    action: OfficerAction
    report: DbId
    # An outcome or agency code from the region config (a-z0-9_, at most 24 characters).
    arg: str = ""


# The policy's action each button asks for (buttons that only continue a conversation are
# checked by the service that ends it).
BUTTON_ACTIONS = {
    OfficerAction.ACK: Action.ACKNOWLEDGE,
    OfficerAction.DETAILS: Action.VIEW,
    OfficerAction.ON_THE_WAY: Action.START_HANDLING,
    OfficerAction.CLOSE: Action.CLOSE,
    OfficerAction.OUTCOME: Action.CLOSE,
    OfficerAction.REJECT: Action.REJECT,
    OfficerAction.HANDOVER: Action.HAND_OVER,
    OfficerAction.HANDOVER_TO: Action.HAND_OVER,
    OfficerAction.ASK: Action.ASK_REPORTER,
    OfficerAction.MERGE: Action.MARK_DUPLICATE,
    OfficerAction.REOPEN: Action.REOPEN,
    OfficerAction.REASSIGN: Action.REASSIGN,
    OfficerAction.REASSIGN_TO: Action.REASSIGN,
    OfficerAction.DUPLICATE: Action.MARK_DUPLICATE,
    OfficerAction.NOTE: Action.ADD_NOTE,
}


def btn(text: str, action: OfficerAction, report_id: int, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=OfficerCb(action=action, report=report_id, arg=arg).pack())


def alert_keyboard(tr: Translator, view: ReportView, *, details: bool = True) -> InlineKeyboardMarkup:
    """The buttons under a report: exactly the actions its audience may take now (`details`
    False: the message already is the details)."""
    can = view.actions
    rows: list[list[InlineKeyboardButton]] = []
    supervisor = [b for a, b in ((Action.REOPEN, btn(tr.plain("🔁 Reopen"), OfficerAction.REOPEN, view.id)),
                                 (Action.REASSIGN, btn(tr.plain("👤 Reassign"), OfficerAction.REASSIGN,
                                                       view.id))) if a in can]
    if supervisor:
        rows.append(supervisor)
    if Action.ACKNOWLEDGE in can:
        rows.append([btn(tr.plain("✋ Acknowledge"), OfficerAction.ACK, view.id)])
    if Action.START_HANDLING in can:
        rows.append([btn(tr.plain("🚶 On the way"), OfficerAction.ON_THE_WAY, view.id)])
    if Action.CLOSE in can:
        rows.append([btn(tr.plain("✅ Close"), OfficerAction.CLOSE, view.id)])
    work = [b for a, b in ((Action.ASK_REPORTER, btn(tr.plain("❓ Ask the reporter"), OfficerAction.ASK, view.id)),
                           (Action.ADD_NOTE, btn(tr.plain("📝 Note"), OfficerAction.NOTE, view.id))) if a in can]
    if work:
        rows.append(work)
    moves = [b for a, b in ((Action.HAND_OVER, btn(tr.plain("🔀 Hand over"), OfficerAction.HANDOVER, view.id)),
                            (Action.REJECT, btn(tr.plain("⛔ Reject"), OfficerAction.REJECT, view.id))) if a in can]
    if moves:
        rows.append(moves)
    if Action.MARK_DUPLICATE in can:
        row = [btn(tr.plain("🔗 Duplicate of…"), OfficerAction.DUPLICATE, view.id)]
        if view.can_merge_nearby:
            # The target is read from the database when pressed, not from this button.
            row.insert(0, btn(tr.plain("🔗 Merge into the nearby report"), OfficerAction.MERGE, view.id))
        rows.append(row)
    if details and Action.VIEW in can:
        rows.append([btn(tr.plain("📄 Details"), OfficerAction.DETAILS, view.id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
