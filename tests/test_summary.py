"""Supervisors' summaries: a generated month of reports, the figures checked against direct queries."""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from core.i18n import translator
from core.lifecycle import ReportState
from core.summary import Period, compute, render, window
from db.models import Report
from tests.db_fixtures import new_reporter

UTC = UTC


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
        from botapi_emulator import parse_html
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
    await supervisor.say("/ringkasan hari")
    daily = next(m for m in supervisor.user.messages if m.text and "Daily summary" in m.text)
    assert "<b>1</b>" in daily.html
    assert any(m.photo_sizes for m in supervisor.user.messages)  # the chart follows
    await supervisor.say("/ringkasan bulan")
    assert any(m.document and m.document["file_name"].endswith(".xlsx") for m in supervisor.user.messages)
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


async def test_scheduled_summary_sent_once_with_chart_and_workbook(h):
    from datetime import datetime as dt

    from core.summary import Period
    from db.models import Outbox, SummarySend

    supervisor = await h.officer(9005, "Kasatpol", role="supervisor")
    await h.officer(9001, "Budi", areas=["Alpha"])  # an officer gets no summary
    from tests.flows import english, full_report
    r = h.resident()
    await english(r)
    await full_report(r)
    h.clock.set(dt(2026, 11, 30, 0, 5, tzinfo=UTC))  # Monday 07:05 WIB
    first = await h.app.run_summaries(Period.WEEKLY)
    # A second instance (or a restart at the scheduled minute) runs the same job: nothing doubles.
    second = await h.app.run_summaries(Period.WEEKLY)
    assert (first, second) == (1, 0)
    assert await h.count(SummarySend) == 1
    await h.settle(timeout=30)
    text = next(m for m in supervisor.user.messages if m.text and "Weekly summary" in m.text)
    assert "23-11-2026 – 29-11-2026" in text.text and "<b>1</b>" in text.html
    chart = next(m for m in supervisor.user.messages if m.photo_sizes)
    workbook = next(m for m in supervisor.user.messages if m.document and m.document["file_name"].endswith(".xlsx"))
    assert any(m.document and m.document["file_name"].endswith(".csv") for m in supervisor.user.messages)
    png = h.emu.files[chart.photo_sizes[-1]["file_id"]].data
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    import struct
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 600)
    import io

    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(h.emu.files[workbook.document["file_id"]].data))
    # In the supervisor's language (English here): the sheet and its headers too.
    assert book.sheetnames[0] == "Reports" and book["Reports"]["A1"].value == "Ticket"
    tickets = [row[0].value for row in book["Reports"].iter_rows(min_row=2)]
    assert len(tickets) == 1 and tickets[0].startswith("UJI-")
    assert await h.count(Outbox, Outbox.status == "dead") == 0


async def test_missed_run_is_sent_late_when_the_app_comes_back(h):
    from datetime import datetime as dt

    supervisor = await h.officer(9005, "Kasatpol", role="supervisor")
    h.clock.set(dt(2026, 11, 23, 3, 0, tzinfo=UTC))  # 10:00 WIB: the 07:00 daily run was missed
    queued = await h.app.catch_up_summaries()
    assert queued >= 1
    # Daily, weekly and monthly, with their attachments, paced at one message a second to one chat.
    await h.settle(timeout=60)
    daily = next(m for m in supervisor.user.messages if m.text and "Daily summary" in m.text)
    assert "22-11-2026" in daily.text and "sent late" in daily.text
    assert await h.app.catch_up_summaries() == 0  # nothing owed any more


async def test_langganan_switches_a_summary_off(h):
    from core.summary import Period

    supervisor = await h.officer(9005, "Kasatpol", role="supervisor")
    choices = await supervisor.say("/langganan")
    daily_label = next(b for row in choices.buttons for b in row if "Daily" in b)
    assert daily_label.startswith("✅")
    after = await supervisor.tap(daily_label)
    assert next(b for row in after.buttons for b in row if "Daily" in b).startswith("⬜")
    from datetime import datetime as dt
    h.clock.set(dt(2026, 11, 23, 0, 5, tzinfo=UTC))
    assert await h.app.run_summaries(Period.DAILY) == 0
    assert await h.app.run_summaries(Period.WEEKLY) == 1


def test_export_xlsx_and_csv_from_the_command_line(tmp_path):
    from tests.test_cli import ROOT, lapor

    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/e.sqlite3",
           "REGION_CONFIG": str(ROOT / "tests" / "data" / "testregion.toml")}
    assert lapor("db", "upgrade", env=env).returncode == 0
    out = tmp_path / "out.xlsx"
    result = lapor("export", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "xlsx", "-o", str(out),
                   env=env)
    assert result.returncode == 0, result.stderr
    from openpyxl import load_workbook
    assert load_workbook(out)["Laporan"]["A1"].value == "Tiket"
    csv_out = tmp_path / "out.csv"
    assert lapor("export", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv", "-o", str(csv_out),
                 env=env).returncode == 0
    assert csv_out.read_text(encoding="utf-8-sig").startswith("Tiket,")


async def test_workbook_of_a_generated_month_holds_every_report(db, region):
    import io

    from openpyxl import load_workbook

    from core.exports import workbook

    async with db() as session:
        await generate_month(session, region)
        win = window(region, Period.MONTHLY, date(2026, 11, 5))
        data = await workbook(session, region, win.start, win.end)
        count = (await session.execute(select(func.count()).select_from(Report))).scalar_one()
    book = load_workbook(io.BytesIO(data))
    assert book["Laporan"].max_row - 1 == count == 180


async def test_two_instances_racing_on_one_database_send_once(h):
    """Two app instances' schedulers fire at the same minute: each has its own engine and
    session, they race, and every subscriber is queued exactly one summary."""
    import asyncio
    from datetime import datetime as dt

    from core.summary import Period
    from core.summary_sends import send_summaries
    from db.engine import create_engine, create_sessionmaker
    from db.models import Outbox, SummarySend

    for i in range(3):
        await h.officer(9300 + i, f"Supervisor {i}", role="supervisor")
    now = dt(2026, 11, 24, 0, 0, tzinfo=UTC)
    engines = [create_engine(h.database_url) for _ in range(2)]
    try:
        async def instance(engine):
            async with create_sessionmaker(engine)() as session:
                return await send_summaries(session, region=h.region, period=Period.DAILY, now=now)

        results = await asyncio.gather(*(instance(e) for e in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(results) == 3
    assert await h.count(SummarySend) == 3
    rows = await h.rows(select(Outbox).where(Outbox.bot == "backoffice"))
    texts = [row for row in rows if row.payload.get("notice") == "summary"]
    assert len(texts) == 3 and len({row.chat_id for row in texts}) == 3
