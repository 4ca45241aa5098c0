"""Response targets, one definition for everyone who asks "is this report late?": the queue's ⏰,
the overdue list, the summaries' "past their target" and the escalation tick.

A report waiting in a queue is late once its response target passed without an acknowledgement;
a report being worked is late once its close target passed. Closed reports are never late.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from core.access import ACKNOWLEDGEABLE, WORKING
from db.models import Report


def is_overdue(state: str, response_due_at: datetime, close_due_at: datetime | None, now: datetime) -> bool:
    if state in ACKNOWLEDGEABLE:
        return response_due_at < now
    if state in WORKING:
        return close_due_at is not None and close_due_at < now
    return False


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """The same rule as a WHERE clause (served by ix_reports_state_due)."""
    return or_(
        and_(Report.state.in_(list(ACKNOWLEDGEABLE)), Report.response_due_at < now),
        and_(Report.state.in_(list(WORKING)), Report.close_due_at.is_not(None), Report.close_due_at < now),
    )
