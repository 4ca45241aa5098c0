"""`lapor seed`: synthetic report history, as the app would have written it (lapor/seed.py)."""
from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from core.access import ACKNOWLEDGEABLE, WORKING
from core.clock import ManualClock
from core.draft import ReportDraft
from core.lifecycle import OPEN_STATES
from core.officers import add_officer
from core.region import RegionConfig, load_region_config
from core.report_submit import submit_report
from core.targets import is_overdue
from core.tickets import TICKET_RE
from db import migrate
from db.models import AuditEvent, Escalation, Officer, Outbox, Report, Reporter, TicketCounter
from lapor.cli import main
from lapor.seed import REAL_ID_LIMIT, SEED_ID_BASE, NotSynthetic, seed_reports
from tests.db_fixtures import migrated_sessionmaker, new_reporter
from tests.harness import database_url_for
from tests.test_cli import lapor

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pasuruan() -> RegionConfig:
    """The bundled default: a region pack (kecamatan, desa, their codes and boundaries)."""
    return load_region_config()


async def _seed(sessionmaker, region: RegionConfig, reports: int, *, seed: int = 7, days: int = 30):
    return await seed_reports(sessionmaker.kw["bind"], region, reports=reports, days=days, seed=seed, now=NOW)


async def test_seeded_history_is_what_the_app_would_have_written(db, pasuruan):
    stats = await _seed(db, pasuruan, 400)
    async with db() as session:
        reports = list((await session.execute(select(Report).order_by(Report.id))).scalars())
        events = list((await session.execute(select(AuditEvent).where(AuditEvent.report_id.is_not(None))
                                             .order_by(AuditEvent.id))).scalars())
        escalations = list((await session.execute(select(Escalation))).scalars())
        officers = {o.id: o for o in (await session.execute(select(Officer))).scalars()}
        reporters = (await session.execute(select(func.min(Reporter.telegram_id)))).scalar_one()
        outbox = (await session.execute(select(func.count()).select_from(Outbox))).scalar_one()
        counters = {(c.prefix, c.period): c.last for c in (await session.execute(select(TicketCounter))).scalars()}
    assert len(reports) == stats.reports == stats.total_reports == 400
    assert stats.first is not None and stats.first >= NOW - timedelta(days=30) and stats.last <= NOW
    assert outbox == 0  # nothing is owed to anyone
    assert reporters >= SEED_ID_BASE > REAL_ID_LIMIT  # synthetic residents only: ids no person has
    # Officers were created, a supervisor and field officers per agency, and an auditor.
    roles = defaultdict(set)
    for o in officers.values():
        roles[o.agency].add(o.role)
        assert o.telegram_id >= SEED_ID_BASE and "Sintetis" in o.name
    assert all({"supervisor", "officer"} <= roles[a.code] for a in pasuruan.agencies)
    assert any("auditor" in r for r in roles.values())

    history = defaultdict(list)
    for e in events:
        history[e.report_id].append(e)
    by_id = {r.id: r for r in reports}
    states = defaultdict(int)
    pinned = 0
    for r in reports:
        states[r.state] += 1
        category = pasuruan.category(r.category)
        # Routing and targets from the region config.
        assert r.agency in {a.code for a in pasuruan.agencies} and r.informed_agencies == category.informed
        if not any(e.action == "handed_over" for e in history[r.id]):
            assert r.agency == category.primary
        assert r.created_at <= r.updated_at <= NOW and r.seen_at <= r.created_at
        assert r.response_due_at > r.created_at
        if r.acknowledged_at is not None:
            assert r.created_at < r.acknowledged_at <= NOW
            assert r.close_due_at == r.acknowledged_at + timedelta(hours=category.close_hours)
            assert r.owner_id in officers and officers[r.owner_id].agency == r.agency
        if r.state == "selesai":
            assert r.created_at < r.acknowledged_at < r.closed_at <= NOW  # type: ignore[operator]
            outcome = pasuruan.agency(r.agency).outcome(r.outcome or "")
            assert (r.persons_count is not None) == outcome.counts_persons
        elif r.state in ("ditolak", "duplikat"):
            assert r.created_at < r.closed_at <= NOW  # type: ignore[operator]
        else:
            assert r.closed_at is None and r.outcome is None
        if r.state == "duplikat":
            other = by_id[r.duplicate_of_id]  # type: ignore[index]
            assert other.created_at < r.created_at and other.agency == r.agency and r.near_report_id == other.id
        if r.rating is not None:
            assert r.state == "selesai" and 1 <= r.rating <= 5
        # Its desa is one of its kecamatan's in the pack, and the pin lies in that desa.
        assert r.desa_code is not None and r.desa_code.rsplit(".", 1)[0] == r.kecamatan_code
        kecamatan, desa = pasuruan.desa_by_code(r.desa_code)  # type: ignore[misc]
        assert (kecamatan.name, kecamatan.code, desa) == (r.kecamatan, r.kecamatan_code, r.desa)
        if r.latitude is not None:
            pinned += 1
            placed = pasuruan.placer.place(r.latitude, r.longitude)  # type: ignore[arg-type]
            assert placed.desa_code == r.desa_code and not placed.approximate, r.ticket
        else:
            assert r.landmark  # chosen by name: the report flow then asks for a landmark
        assert TICKET_RE.fullmatch(r.ticket)
        # Its audit events: "submitted" first, each change from the state the last one left, in
        # time order, ending in the report's state.
        trail = history[r.id]
        assert trail[0].action == "submitted" and trail[0].at == r.created_at and trail[0].actor_id == r.reporter_id
        state, at = None, r.created_at
        for e in trail:
            assert e.at >= at
            at = e.at
            if e.to_state is not None:
                assert e.from_state == state or (e.action == "reassigned" and e.from_state == e.to_state == state)
                state = e.to_state
        assert state == r.state
    assert 0.5 < pinned / len(reports) < 0.95
    # A realistic mix: most closed, some of every other fate, some open (and late) at the end.
    assert states["selesai"] > len(reports) / 2
    assert {"ditolak", "duplikat", "ditarik"} <= set(states)
    assert any(e.action == "handed_over" for e in events) and any(e.action == "rated" for e in events)
    open_ = [r for r in reports if r.state in OPEN_STATES]
    overdue = [r for r in open_ if is_overdue(r.state, r.response_due_at, r.close_due_at, NOW)]
    assert open_ and overdue and len(open_) == stats.open_reports and len(overdue) == stats.overdue_reports
    assert {r.state for r in open_} & set(ACKNOWLEDGEABLE) and {r.state for r in open_} & set(WORKING)
    # Escalations as the scheduler would have recorded them: once per kind, after the target.
    assert escalations
    for esc in escalations:
        r = by_id[esc.report_id]
        assert esc.at <= NOW and esc.at > (r.created_at if esc.kind == "ack" else r.acknowledged_at)
    # Every report late by more than the scheduler's minute was escalated.
    escalated = {(e.report_id, e.kind) for e in escalations}
    for r in overdue:
        kind, due = ("ack", r.response_due_at) if r.state in ACKNOWLEDGEABLE else ("close", r.close_due_at)
        assert due > NOW - timedelta(minutes=1) or (r.id, kind) in escalated
    # Hotspots: the busiest kecamatan has several times the reports of the median one.
    per_kecamatan = sorted(sum(1 for r in reports if r.kecamatan_code == k.code) for k in pasuruan.kecamatan)
    assert per_kecamatan[-1] >= 4 * max(1, per_kecamatan[len(per_kecamatan) // 2])
    # The app's next ticket number follows the seeded ones.
    for r in reports:
        prefix, period, number = TICKET_RE.fullmatch(r.ticket).groups()  # type: ignore[union-attr]
        assert counters[(prefix, period)] >= int(number)


async def test_a_region_without_a_pack_gets_its_kecamatan_and_desa_by_name(db, region):
    """The test region: kecamatan boundaries, desa names for some, no Kemendagri codes."""
    await _seed(db, region, 80)
    async with db() as session:
        reports = list((await session.execute(select(Report))).scalars())
    assert len(reports) == 80 and any(r.latitude is not None for r in reports)
    for r in reports:
        kecamatan = region.kecamatan_by_name(r.kecamatan or "")
        assert kecamatan is not None and r.kecamatan_code is None and r.desa_code is None
        assert r.desa in kecamatan.desa if kecamatan.desa else r.desa is None
        if r.latitude is not None:
            assert region.placer.place(r.latitude, r.longitude).kecamatan == r.kecamatan  # type: ignore[arg-type]


async def test_the_same_seed_makes_the_same_rows(tmp_path, pasuruan):
    dumps = []
    for name in ("a", "b"):
        folder = tmp_path / f"{tmp_path.name}{name}"
        folder.mkdir()
        engine, sessionmaker = await migrated_sessionmaker(database_url_for(folder))
        try:
            await _seed(sessionmaker, pasuruan, 120, seed=3)
            async with engine.connect() as conn:
                dumps.append([(await conn.execute(text(f"select * from {table} order by 1"))).all()
                              for table in ("reports", "audit_events", "escalations", "reporters", "officers")])
        finally:
            await engine.dispose()
    assert dumps[0] == dumps[1]


async def test_a_second_run_adds_to_the_first(db, pasuruan):
    await _seed(db, pasuruan, 60)
    stats = await _seed(db, pasuruan, 60, seed=8)
    assert (stats.reports, stats.total_reports, stats.officers_created) == (60, 120, 0)
    async with db() as session:
        reports = list((await session.execute(select(Report).order_by(Report.id))).scalars())
    # Another seed, other reports (same period); each ticket once, numbered on from the first run's.
    assert [r.desa_code for r in reports[:60]] != [r.desa_code for r in reports[60:]]
    assert len({r.ticket for r in reports}) == 120
    # The app carries on after it: its next report takes the next id and the next ticket number.
    later = NOW + timedelta(minutes=5)
    async with db() as session:
        resident = await new_reporter(session, telegram_id=2**52 + 99)  # the demo's range: nobody's
        draft = ReportDraft(category="pengemis", kecamatan="Bangil", landmark="depan pasar")
        draft.send_now(later)
        result = await submit_report(session, clock=ManualClock(later), region=pasuruan, reporter_id=resident.id,
                                     draft=draft)
    month = [int(r.ticket.rsplit("-", 1)[1]) for r in reports if r.ticket.startswith("PSR-2611-")]
    assert result.report_id == 121 and result.ticket == f"PSR-2611-{max(month) + 1:04d}"


async def test_a_database_with_anything_of_a_real_person_is_refused(db, pasuruan):
    # A production database before its first report: an officer registered.
    async with db() as session:
        await add_officer(session, region=pasuruan, now=NOW, telegram_id=555, name="Budi", agency="satpolpp",
                          role="officer", areas=[])
    with pytest.raises(NotSynthetic, match=r"real people's data \(1 officer\(s\)\)"):
        await _seed(db, pasuruan, 10)
    async with db() as session:
        reporter = await new_reporter(session, telegram_id=123456789)
        draft = ReportDraft(category="pengemis", kecamatan="Bangil", landmark="depan pasar")
        draft.send_now(NOW)
        await submit_report(session, clock=ManualClock(NOW), region=pasuruan, reporter_id=reporter.id, draft=draft)
    with pytest.raises(NotSynthetic, match=r"1 report\(s\), 1 resident\(s\), 1 officer\(s\)"):
        await _seed(db, pasuruan, 10)
    async with db() as session:
        assert (await session.execute(select(func.count()).select_from(Report))).scalar_one() == 1


def test_lapor_seed_on_a_sqlite_file(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/seed.sqlite3"
    asyncio.run(migrate.upgrade(url))
    seeded = lapor("seed", "--reports", "300", "--days", "20", "--seed", "5", env={"DATABASE_URL": url})
    assert seeded.returncode == 0, seeded.stderr
    line = seeded.stdout.strip()
    assert line.startswith("300 synthetic reports, created ") and " written in " in line and "overdue" in line
    assert "synthetic officers added" in seeded.stderr


def _lapor_here(monkeypatch, capsys, url: str, *args: str) -> tuple[int, str]:
    """`lapor ARGS` in this process (quicker than a new one): exit code and stderr."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REGION_CONFIG", raising=False)
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_lapor_seed_refuses_a_database_with_real_reports(tmp_path, pasuruan, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path}/real.sqlite3"
    code, err = _lapor_here(monkeypatch, capsys, url, "seed", "--reports", "10")
    assert code == 2 and "lapor db upgrade" in err and "Traceback" not in err

    async def a_real_report() -> None:
        engine, sessionmaker = await migrated_sessionmaker(url)
        try:
            async with sessionmaker() as session:
                reporter = await new_reporter(session, telegram_id=987654321)
                draft = ReportDraft(category="anak_jalanan", kecamatan="Pandaan", landmark="terminal")
                draft.send_now(NOW)
                await submit_report(session, clock=ManualClock(NOW), region=pasuruan, reporter_id=reporter.id,
                                    draft=draft)
        finally:
            await engine.dispose()

    asyncio.run(a_real_report())
    code, err = _lapor_here(monkeypatch, capsys, url, "seed", "--reports", "10")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "real people's data (1 report(s), 1 resident(s))" in err and "never writes into a database with real data" \
        in err
    code, err = _lapor_here(monkeypatch, capsys, url, "seed", "--reports", "many")
    assert code == 2 and "'many' is not a positive whole number" in err
