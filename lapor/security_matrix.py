"""README's authorisation matrix, written from the policy's code (core/access.py).

`python -m lapor.security_matrix` prints it; tests/test_readme_matrix.py fails when README's copy
differs, so the documented matrix is always the one the code enforces.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.access import (
    OTHER,
    PRIVATE,
    Action,
    Channel,
    ChannelKind,
    Role,
    Subject,
    View,
    decide,
    may_view,
)
from core.lifecycle import ReportState


@dataclass(frozen=True)
class _Person:
    id: int
    agency: str = "A"
    role: Role = Role.OFFICER
    areas: tuple[str, ...] = ()
    active: bool = True
    telegram_id: int | None = None


DUTY = Channel(ChannelKind.DUTY_GROUP, "A", -1)
# Column: (heading, the person, the chat they use). The report is agency A's, in kecamatan K.
COLUMNS = [
    ("holder", _Person(1, areas=("K",)), PRIVATE),
    ("same agency", _Person(2, areas=("K",)), PRIVATE),
    ("same agency, other kecamatan", _Person(3, areas=("L",)), PRIVATE),
    ("supervisor, admin", _Person(4, role=Role.SUPERVISOR), PRIVATE),
    ("other agency (any role)", _Person(5, agency="B", role=Role.SUPERVISOR), PRIVATE),
    ("auditor", _Person(6, agency="B", role=Role.AUDITOR), PRIVATE),
    ("disabled", _Person(7, active=False), PRIVATE),
    ("stranger", None, PRIVATE),
    ("in the agency's duty group", _Person(2, areas=("K",)), DUTY),
    ("in any other group", _Person(4, role=Role.SUPERVISOR), OTHER),
]
HELD = Subject(10, "A", 1, ReportState.DITERIMA, "K", True)
NEW = Subject(10, "A", None, ReportState.BARU, "K", True)
CLOSED = Subject(10, "A", 1, ReportState.SELESAI, "K", True)
ROWS = [
    ("read it: details, place, photos, history", Action.VIEW, HELD),
    ("be alerted, escalated to, answered", Action.RECEIVE, HELD),
    ("✋ acknowledge (a new report)", Action.ACKNOWLEDGE, NEW),
    ("🚶 on the way", Action.START_HANDLING, HELD),
    ("✅ close", Action.CLOSE, HELD),
    ("⛔ reject", Action.REJECT, HELD),
    ("⛔ reject a report nobody holds", Action.REJECT, NEW),
    ("🔗 merge, mark duplicate", Action.MARK_DUPLICATE, HELD),
    ("🔀 hand over", Action.HAND_OVER, HELD),
    ("🔀 hand over a report nobody holds", Action.HAND_OVER, NEW),
    ("❓ ask the reporter", Action.ASK_REPORTER, HELD),
    ("📝 note or photo for the file", Action.ADD_NOTE, HELD),
    ("👤 reassign", Action.REASSIGN, HELD),
    ("🔁 reopen (a closed report)", Action.REOPEN, CLOSED),
]
VIEWS = [
    ("`/antrian` (the queue)", View.QUEUE),
    ("`/tugas` (mine)", View.TASKS),
    ("`/terlambat` (overdue)", View.OVERDUE),
    ("`/ringkasan`, scheduled summaries, their files", View.SUMMARY),
    ("`/langganan`", View.SUBSCRIPTIONS),
    ("`/bantuan`", View.HELP),
]
SCOPES = {View.QUEUE: "scope", View.OVERDUE: "scope", View.SUMMARY: "scope"}


def _cell(allowed: bool, note: str = "") -> str:
    return ("yes" + (f" ({note})" if note else "")) if allowed else "—"


def table() -> str:
    head = "| | " + " | ".join(name for name, _, _ in COLUMNS) + " |"
    lines = [head, "|---" * (len(COLUMNS) + 1) + "|"]
    for label, action, report in ROWS:
        cells = [_cell(bool(decide(person, report, action, channel))) for _, person, channel in COLUMNS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for label, view in VIEWS:
        cells = []
        for _, person, channel in COLUMNS:
            allowed = bool(may_view(person, view, channel))
            note = ""
            if allowed and view in SCOPES:
                note = "region" if person is not None and person.role == Role.AUDITOR else \
                    ("own kecamatan" if view != View.SUMMARY and person is not None and person.areas else "agency")
            cells.append(_cell(allowed, note))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
