"""The policy itself (core.access), with plain facts: the rules that the matrix test drives through
the bot, plus the ones it cannot reach cheaply (areas nobody covers, a report without a
kecamatan, a duty group as an audience, a private chat that is not the sender's own)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from core import access
from core.access import (
    OTHER,
    PRIVATE,
    Action,
    Channel,
    ChannelKind,
    Refusal,
    Role,
    Subject,
    View,
    channel_of,
    decide,
    may_read,
    may_view,
    offered_actions,
)
from core.lifecycle import ReportState
from core.targets import is_overdue


@dataclass(frozen=True)
class Person:
    id: int
    agency: str = "satpolpp"
    role: Role = Role.OFFICER
    areas: tuple[str, ...] = ()
    active: bool = True
    telegram_id: int | None = None


BUDI = Person(1, areas=("Alpha",))
SRI = Person(2, areas=("Alpha",))
JOKO = Person(3, areas=("Beta",))
BOSS = Person(4, role=Role.SUPERVISOR)
ADMIN = Person(5, role=Role.ADMIN)
ANI = Person(6, agency="dinsos")
AUDITOR = Person(7, agency="dinsos", role=Role.AUDITOR)
GONE = Person(8, active=False)
DUTY = Channel(ChannelKind.DUTY_GROUP, "satpolpp", -100)


def report(state=ReportState.DITERIMA, owner=1, kecamatan="Alpha", covered=True, agency="satpolpp") -> Subject:
    return Subject(10, agency, owner, state, kecamatan, covered)


def test_who_reads_a_report():
    held = report()
    readers = {p.id for p in (BUDI, SRI, JOKO, BOSS, ADMIN, ANI, AUDITOR, GONE) if may_read(p, held)}
    assert readers == {BUDI.id, SRI.id, BOSS.id, ADMIN.id, AUDITOR.id}
    assert not may_read(None, held)
    # An area officer reads what they hold, what nobody covers, and reports without a kecamatan.
    assert may_read(JOKO, report(owner=JOKO.id))
    assert may_read(JOKO, report(covered=False))
    assert may_read(JOKO, report(kecamatan=None, covered=False))
    # After a hand-over the old agency reads nothing more of it; the new one reads it all.
    moved = report(state=ReportState.DIALIHKAN, owner=None, agency="dinsos")
    assert not may_read(BUDI, moved) and not may_read(BOSS, moved) and may_read(ANI, moved)


def test_refusals_say_nothing_unless_the_actor_may_read():
    assert decide(ANI, report(), Action.CLOSE) == access.UNSEEN
    assert decide(GONE, report(), Action.VIEW) == access.UNSEEN
    assert decide(SRI, report(), Action.CLOSE).refusal == Refusal.NOT_PERMITTED
    assert decide(BUDI, report(), Action.ACKNOWLEDGE).refusal == Refusal.WRONG_STATE
    # Any other chat is refused before the report is looked at: the same words for every report.
    assert decide(BUDI, report(), Action.VIEW, OTHER) == decide(ANI, report(agency="x"), Action.VIEW, OTHER)


@pytest.mark.parametrize("action", [Action.START_HANDLING, Action.CLOSE, Action.REJECT, Action.MARK_DUPLICATE,
                                    Action.ASK_REPORTER])
def test_holder_or_supervisor_only(action):
    held = report()
    assert decide(BUDI, held, action) and decide(BOSS, held, action) and decide(ADMIN, held, action)
    assert not decide(SRI, held, action) and not decide(AUDITOR, held, action)


def test_reject_and_merge_of_a_report_nobody_holds_take_a_supervisor():
    new = report(state=ReportState.BARU, owner=None)
    for action in (Action.REJECT, Action.MARK_DUPLICATE):
        assert not decide(BUDI, new, action) and decide(BOSS, new, action)
    # A hand-over of a report nobody holds is any of the agency's officers' to make.
    assert decide(SRI, new, Action.HAND_OVER) and not decide(SRI, report(), Action.HAND_OVER)


def test_the_auditor_reads_everything_and_changes_nothing():
    for agency in ("satpolpp", "dinsos", "dp3ap2kb"):
        subject = report(agency=agency)
        assert may_read(AUDITOR, subject)
        assert access.allowed_actions(AUDITOR, subject) == {Action.VIEW}


def test_a_duty_group_sees_its_agency_and_acknowledges_there_nothing_more():
    new = report(state=ReportState.BARU, owner=None)
    assert may_read(None, new, DUTY) and not may_read(None, report(agency="dinsos"), DUTY)
    assert decide(SRI, new, Action.ACKNOWLEDGE, DUTY)
    assert not decide(ANI, new, Action.ACKNOWLEDGE, DUTY)  # not a member's agency
    assert decide(SRI, new, Action.HAND_OVER, DUTY).refusal == Refusal.WRONG_CHANNEL
    assert offered_actions(None, new, DUTY) == {Action.VIEW, Action.ACKNOWLEDGE}
    assert offered_actions(None, report(), DUTY) == {Action.VIEW, Action.START_HANDLING}


def test_views_only_in_the_private_chat():
    assert may_view(BUDI, View.QUEUE) and not may_view(BUDI, View.SUMMARY)
    assert may_view(BOSS, View.SUMMARY) and may_view(AUDITOR, View.OVERDUE)
    assert not may_view(AUDITOR, View.TASKS)
    assert may_view(BOSS, View.SUMMARY, DUTY).refusal == Refusal.WRONG_CHANNEL
    assert not may_view(GONE, View.HELP) and not may_view(None, View.HELP)


def test_a_private_chat_is_only_the_senders_own():
    agencies = [type("A", (), {"code": "satpolpp", "duty_chat_id": -100})()]
    assert channel_of(agencies, chat_id=5, chat_type="private", user_id=5) == PRIVATE
    assert channel_of(agencies, chat_id=6, chat_type="private", user_id=5).kind == ChannelKind.OTHER
    assert channel_of(agencies, chat_id=-100, chat_type="supergroup", user_id=5) == DUTY
    assert channel_of(agencies, chat_id=-200, chat_type="group", user_id=5).kind == ChannelKind.OTHER


def test_scopes():
    assert access.list_scope(JOKO) == access.Scope("satpolpp", ("Beta",), JOKO.id)
    assert access.list_scope(BOSS) == access.Scope("satpolpp")
    assert access.list_scope(AUDITOR).region_wide and access.summary_scope(AUDITOR).region_wide
    assert access.summary_scope(BUDI) == access.Scope("satpolpp")


def test_late_means_the_same_everywhere():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    past, future = now - timedelta(hours=1), now + timedelta(hours=1)
    assert is_overdue(ReportState.BARU, past, None, now)
    # Acknowledged in time, but past its close target: late (the queue used to miss these).
    assert is_overdue(ReportState.DITANGANI, past, past, now)
    assert not is_overdue(ReportState.DITERIMA, past, future, now)
    assert not is_overdue(ReportState.SELESAI, past, past, now)
