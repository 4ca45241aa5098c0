"""Supervisors' summaries: a generated month of reports, the figures checked against direct queries."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from core.i18n import translator
from core.lifecycle import ReportState
from core.summary import Period, compute, render, window
from db.models import Report
from tests.db_fixtures import new_reporter

UTC = timezone.utc


async def generate_month(session, region, *, seed: int = 7, per_day: int = 6) -> None:
    """November 2026: reports every day at random local hours, most acknowledged, many closed."""
    rnd = random.Random(seed)
    reporter = await new_reporter(session)
    categories = [c.code for c in region.categories]
    kecamatan = [k.name for k in region.kecamatan]
    n = 0
    for day in range(1, 31):
        for _ in range(per_day):
            n += 1
            created = datetime(2026, 11, day, tzinfo=UTC) - timedelta(hours=7) + timedelta(minutes=rnd.randrange(1440))
            category = rnd.choice(categories)
            report = Report(
                ticket=f"UJI-2611-{n:04d}", draft_token=f"gen-{n}", reporter_id=reporter.id, region="uji",
                category=category, agency=region.category(category).primary, informed_agencies=[],
                state=ReportState.BARU, urgent=False, latitude=-7.05, longitude=112.05 + rnd.choice([0, 0.05]),
                kecamatan=rnd.choice(kecamatan), seen_at=created, seen_when="now", reporter_type="perorangan",
                anonymous=True, language="id", created_at=created, updated_at=created,
                response_due_at=created + timedelta(minutes=120),
            )
            roll = rnd.random()
            if roll < 0.8:
                report.state = ReportState.DITERIMA
                report.acknowledged_at = created + timedelta(minutes=rnd.randrange(5, 240))
                report.close_due_at = report.acknowledged_at + timedelta(hours=24)
            if roll < 0.5:
                report.state = ReportState.SELESAI
                report.closed_at = report.acknowledged_at + timedelta(minutes=rnd.randrange(30, 600))
                outcomes = region.agency(report.agency).outcomes
                report.outcome = outcomes[0].code if outcomes else None
                report.persons_count = rnd.randrange(0, 4)
                report.rating = rnd.randrange(3, 6)
            session.add(report)
    await session.commit()


async def test_daily_figures_match_direct_queries(db, region):
    async with db() as session:
        await generate_month(session, region)
        win = window(region, Period.DAILY, date(2026, 11, 21))
        summary = await compute(session, region, win)
        received = (await session.execute(select(func.count()).select_from(Report).where(
            Report.created_at >= win.start, Report.created_at < win.end))).scalar_one()
        acknowledged = (await session.execute(select(func.count()).select_from(Report).where(
            Report.acknowledged_at >= win.start, Report.acknowledged_at < win.end))).scalar_one()
        closed = (await session.execute(select(func.count()).select_from(Report).where(
            Report.closed_at >= win.start, Report.closed_at < win.end))).scalar_one()
    assert summary.total.received == received == 6
    assert summary.total.acknowledged == acknowledged
    assert summary.total.closed == closed
    assert sum(f.received for f in summary.agencies.values()) == received
    text = render(summary, region, translator("id"))
    assert f"<b>{received}</b>" in text and "21-11-2026" in text
    assert len(text) <= 4096


async def test_period_crossing_midnight_wib_counts_by_local_date(db, region):
    async with db() as session:
        reporter = await new_reporter(session)
        # 17:30 UTC on the 21st is 00:30 WIB on the 22nd.
        created = datetime(2026, 11, 21, 17, 30, tzinfo=UTC)
        session.add(Report(ticket="UJI-2611-0001", draft_token="m", reporter_id=reporter.id, region="uji",
                           category="pengemis", agency="satpolpp", informed_agencies=[], state="baru",
                           seen_at=created, seen_when="now", reporter_type="perorangan", anonymous=True,
                           language="id", created_at=created, updated_at=created, response_due_at=created))
        await session.commit()
        on_21 = await compute(session, region, window(region, Period.DAILY, date(2026, 11, 21)))
        on_22 = await compute(session, region, window(region, Period.DAILY, date(2026, 11, 22)))
    assert on_21.total.received == 0 and on_22.total.received == 1


async def test_weekly_and_monthly_windows_and_text(db, region):
    week = window(region, Period.WEEKLY, date(2026, 11, 21))  # a Saturday
    assert (week.first_day, week.last_day) == (date(2026, 11, 16), date(2026, 11, 22))
    month = window(region, Period.MONTHLY, date(2026, 11, 21))
    assert (month.first_day, month.last_day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert month.start == datetime(2026, 10, 31, 17, tzinfo=UTC)
    async with db() as session:
        await generate_month(session, region)
        summary = await compute(session, region, month)
    assert summary.total.received == 180
    assert summary.total.ack_median is not None and summary.total.ack_p90 >= summary.total.ack_median
    assert summary.hotspots and summary.hotspots[0][1] >= 2
    assert summary.ratings and all(3 <= r <= 5 for r in summary.ratings)
    for lang in ("id", "en"):
        text = render(summary, region, translator(lang))
        assert len(text) <= 4096
        from lapor.emulator import parse_html
        parse_html(text)  # valid for Telegram's HTML parse mode


async def test_ringkasan_for_supervisors_only(h):
    from tests.flows import english, full_report

    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    supervisor = await h.officer(9005, "Kasatpol", role="supervisor")
    r = h.resident()
    await english(r)
    await full_report(r)
    refused = await officer.say("/ringkasan")
    assert "Only supervisors" in refused.text
    daily = await supervisor.say("/ringkasan hari")
    assert "Daily summary" in daily.text and "<b>1</b>" in daily.html
    bad = await supervisor.say("/ringkasan tahun")
    assert "/ringkasan minggu" in bad.text


def test_summary_print_from_the_command_line(tmp_path):
    from tests.test_cli import ROOT, lapor

    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.sqlite3",
           "REGION_CONFIG": str(ROOT / "tests" / "data" / "testregion.toml")}
    printed = lapor("summary", "send", "--period", "weekly", "--date", "2026-11-21", "--print", "--language", "en",
                    env=env)
    assert printed.returncode == 0, printed.stderr
    assert "Weekly summary" in printed.stdout and "16-11-2026 – 22-11-2026" in printed.stdout
