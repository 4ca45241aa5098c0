"""Unit tests: ticket numbers, routing, the report draft's completeness, the submit service."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.draft import AgeGroup, PeopleCount, ReportDraft, ReporterType, SeenWhen
from core.region import load_region_config
from core.report_submit import DraftIncomplete, RateLimited, submit_report
from core.routing import route
from core.tickets import format_ticket, next_ticket, normalise_ticket
from db.models import AuditEvent, Outbox, Report
from tests.db_fixtures import new_reporter

WIB = ZoneInfo("Asia/Jakarta")


def test_ticket_format_and_parsing():
    assert format_ticket("PSR", "2611", 42) == "PSR-2611-0042"
    assert format_ticket("PSR", "2611", 12345) == "PSR-2611-12345"
    assert normalise_ticket("psr 2611 42") == "PSR-2611-0042"
    assert normalise_ticket(" PSR-2611-0042 ") == "PSR-2611-0042"
    assert normalise_ticket("hello") is None
    assert normalise_ticket("PSR-26-1") is None


async def test_ticket_sequence_per_local_month(db):
    async with db() as session:
        # 2026-11-30 18:00 UTC is already 1 December in WIB: the new month's counter starts at 1.
        first = await next_ticket(session, "PSR", datetime(2026, 11, 30, 16, 0, tzinfo=UTC), WIB)
        second = await next_ticket(session, "PSR", datetime(2026, 11, 30, 16, 30, tzinfo=UTC), WIB)
        december = await next_ticket(session, "PSR", datetime(2026, 11, 30, 18, 0, tzinfo=UTC), WIB)
        other = await next_ticket(session, "UJI", datetime(2026, 11, 30, 16, 0, tzinfo=UTC), WIB)
        await session.commit()
    assert (first, second, december, other) == ("PSR-2611-0001", "PSR-2611-0002", "PSR-2612-0001", "UJI-2611-0001")


def test_routing_of_the_pasuruan_config():
    region = load_region_config()
    anjal = route(region, "anak_jalanan", urgent=False)
    assert anjal.agency == "satpolpp" and set(anjal.informed) == {"dp3ap2kb", "dinsos"}
    assert route(region, "gelandangan_psikotik", urgent=False).agency == "dinsos"
    assert route(region, "lansia_terlantar", urgent=False).agency == "dinsos"
    urgent = route(region, "pengemis", urgent=True)
    assert urgent.response_minutes == region.category("pengemis").urgent_response_minutes
    assert urgent.response_minutes < route(region, "pengemis", urgent=False).response_minutes
    with pytest.raises(KeyError):
        route(region, "unknown", urgent=False)


def complete_draft(**overrides) -> ReportDraft:
    values = dict(
        category="pengemis", latitude=-7.05, longitude=112.05, kecamatan="Alpha",
        people_count=PeopleCount.FEW, age_group=AgeGroup.CHILD, description="dua anak", description_done=True,
        seen_when=SeenWhen.NOW, seen_at=datetime(2026, 11, 23, 3, tzinfo=UTC), photos_done=True,
        urgent=False, reporter_type=ReporterType.PERORANGAN, anonymous=True,
    )
    values.update(overrides)
    return ReportDraft(**values)


def test_draft_missing_steps_in_order():
    # What a report cannot do without, then "send now or tell more?", then the rest.
    assert ReportDraft().missing()[:4] == ["category", "location", "pace", "people_count"]
    assert complete_draft().missing() == []
    # Telling more after a pin: the optional landmark first.
    told = complete_draft(people_count=None, quick=False)
    assert told.missing() == ["landmark", "people_count"]
    # Sending now: nothing else is asked; what was not said takes its default.
    hurried = ReportDraft(category="pengemis", latitude=-7.05, longitude=112.05, kecamatan="Alpha")
    assert hurried.missing()[:3] == ["pace", "people_count", "age_group"]
    hurried.send_now(ManualClock().now())
    assert hurried.missing() == [] and (hurried.people_count, hurried.anonymous, hurried.urgent) == (
        "unknown", True, False)
    # Without a pin, kecamatan and a landmark are both needed.
    assert "location" in complete_draft(latitude=None, longitude=None).missing()
    assert complete_draft(latitude=None, longitude=None, landmark="pasar").missing() == []
    # A pin outside the region needs no kecamatan.
    assert complete_draft(kecamatan=None, outside_region=True).missing() == []


async def test_submit_writes_report_event_and_receipt_in_one_go(db, region):
    clock = ManualClock()
    async with db() as session:
        reporter = await new_reporter(session)
        result = await submit_report(session, clock=clock, region=region, reporter_id=reporter.id,
                                     draft=complete_draft(token="t-1"))
        again = await submit_report(session, clock=clock, region=region, reporter_id=reporter.id,
                                    draft=complete_draft(token="t-1"))
    assert result.ticket.startswith("UJI-") and again.already_submitted and again.ticket == result.ticket
    async with db() as session:
        reports = list((await session.execute(select(Report))).scalars())
        events = list((await session.execute(select(AuditEvent))).scalars())
        outbox = list((await session.execute(select(Outbox))).scalars())
    assert len(reports) == 1 and len(events) == 1 and len(outbox) == 1
    assert reports[0].response_due_at == clock.now() + timedelta(minutes=region.category("pengemis").response_minutes)
    assert events[0].action == "submitted" and events[0].data["agency"] == "satpolpp"
    # The receipt is a notice naming the report; the citizen bot words it when it sends it.
    assert outbox[0].chat_id == reporter.chat_id and outbox[0].method == "notice"
    assert outbox[0].payload == {"notice": "receipt", "to": {"reporter": reporter.id}, "report": result.report_id}
    assert outbox[0].priority == 0  # a receipt goes ahead of bulk alerts


async def test_submit_refuses_incomplete_and_floods(db, region):
    clock = ManualClock()
    async with db() as session:
        reporter = await new_reporter(session)
        with pytest.raises(DraftIncomplete) as exc:
            await submit_report(session, clock=clock, region=region, reporter_id=reporter.id,
                                draft=complete_draft(category=None))
        assert exc.value.missing == ["category"]
        for i in range(region.limits.reports_per_hour):
            await submit_report(session, clock=clock, region=region, reporter_id=reporter.id,
                                draft=complete_draft(token=f"f-{i}"))
            clock.advance(60)
        with pytest.raises(RateLimited) as limited:
            await submit_report(session, clock=clock, region=region, reporter_id=reporter.id,
                                draft=complete_draft(token="f-over"))
        assert timedelta(0) < limited.value.retry_after <= timedelta(hours=1)
        clock.advance(3600)
        ok = await submit_report(session, clock=clock, region=region, reporter_id=reporter.id,
                                 draft=complete_draft(token="f-later"))
        assert not ok.already_submitted


def test_close_breakdown_parsing():
    from core.report_actions import parse_breakdown

    assert parse_breakdown("anak 2 dewasa 1 L 2 P 1", 3) == {"child": 2, "adult": 1, "male": 2, "female": 1}
    assert parse_breakdown("child: 1, F=1", 1) == {"child": 1, "female": 1}
    assert parse_breakdown("anak 4", 3) is None  # more than handled
    assert parse_breakdown("kucing 2", 3) is None
    assert parse_breakdown("", 3) is None
