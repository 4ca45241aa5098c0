"""The summary's chart, read as matplotlib objects: its title, whole-number counts, the legend
beside the data rather than over it, an empty period said in words, and a map panel only where the
region has boundaries to draw."""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from core.access import Scope
from core.charts import BARS, MAP, chart_title, summary_chart, summary_figure
from core.desa_placement import PackPlacer
from core.i18n import Translator
from core.lifecycle import ReportState
from core.region import RegionConfig, load_region_config
from core.summary import Period, Window, window
from db.models import Report
from tests.db_fixtures import new_reporter
from tests.harness import TEST_REGION


@pytest.fixture(scope="module")
def pasuruan() -> RegionConfig:
    return load_region_config()


@pytest.fixture(scope="module")
def no_boundaries(tmp_path_factory) -> RegionConfig:
    """The test region without its kecamatan boundaries (only a bbox)."""
    text = TEST_REGION.read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("region") / "plain.toml"
    path.write_text("\n".join(line for line in text.splitlines() if not line.startswith("boundaries =")),
                    encoding="utf-8")
    region = load_region_config(path)
    assert not region.placer.has_boundaries
    return region


def _pin(region: RegionConfig, rnd: random.Random, hotspots: list[tuple[float, float]]):
    """(lat, lon, kecamatan, kecamatan code, desa, desa code) of a pin near one of the hotspots, inside the region."""
    for _ in range(200):
        lat, lon = rnd.choice(hotspots)
        lat, lon = round(lat + rnd.gauss(0, 0.004), 5), round(lon + rnd.gauss(0, 0.004), 5)
        placed = region.placer.place(lat, lon)
        if placed.inside_region:
            kecamatan_code = placed.desa_code.rsplit(".", 1)[0] if placed.desa_code else None
            kecamatan = placed.kecamatan or rnd.choice(region.kecamatan).name  # no boundaries: as typed
            return lat, lon, kecamatan, kecamatan_code, placed.desa, placed.desa_code
    raise AssertionError("no pin inside the region near the hotspots")


async def seed(session, region: RegionConfig, win: Window, n: int, *, seed: int = 3) -> None:
    """n reports at random local times of the window, most pinned near a few hotspots of the region."""
    rnd = random.Random(seed)
    reporter = await new_reporter(session, telegram_id=1000 + seed)
    if isinstance(region.placer, PackPlacer):
        min_lon, min_lat, max_lon, max_lat = region.placer.desa.bounds
    else:
        assert region.region.bbox is not None
        min_lon, min_lat, max_lon, max_lat = region.region.bbox
    hotspots = []
    while len(hotspots) < 5:
        lat, lon = rnd.uniform(min_lat, max_lat), rnd.uniform(min_lon, max_lon)
        if region.placer.place(lat, lon).inside_region:
            hotspots.append((lat, lon))
    # Categories weighted as in life: some much more often than others.
    categories = [c.code for c in region.categories]
    weights = [1 / (i + 1) for i in range(len(categories))]
    seconds = int((win.end - win.start).total_seconds())
    for i in range(n):
        created = win.start + timedelta(seconds=rnd.randrange(seconds))
        category = rnd.choices(categories, weights)[0]
        lat: float | None
        lon: float | None
        if rnd.random() < 0.85:
            lat, lon, kecamatan, kecamatan_code, desa, desa_code = _pin(region, rnd, hotspots)
        else:  # a kecamatan typed instead of a pin
            lat = lon = None
            k = rnd.choice(region.kecamatan)
            kecamatan, kecamatan_code, desa, desa_code = k.name, k.code, None, None
        session.add(Report(
            ticket=f"T{seed}-{i:05d}", draft_token=f"chart-{seed}-{i}", reporter_id=reporter.id,
            region=region.region.code, category=category, agency=region.category(category).primary,
            informed_agencies=[], state=ReportState.BARU, latitude=lat, longitude=lon, kecamatan=kecamatan,
            kecamatan_code=kecamatan_code, desa=desa, desa_code=desa_code, seen_at=created, seen_when="now",
            reporter_type="perorangan", anonymous=True, language="id", created_at=created, updated_at=created,
            response_due_at=created + timedelta(hours=2)))
    await session.commit()


def axes(fig, label: str):
    return [ax for ax in fig.axes if ax.get_label() == label]


def bars_of(fig):
    (bars,) = axes(fig, BARS)
    return bars


async def test_title_names_the_region_and_the_period_in_the_chart_s_language(pasuruan):
    def title(period: Period, day: date, lang: str, scope: Scope | None = None) -> str:
        win = window(pasuruan, period, day)
        return chart_title(pasuruan, win, lang) if scope is None else chart_title(pasuruan, win, lang, scope)

    assert title(Period.DAILY, date(2026, 12, 2), "id") == "Kabupaten Pasuruan · Laporan harian 2 Desember 2026"
    assert title(Period.DAILY, date(2026, 8, 17), "en") == "Kabupaten Pasuruan · Daily reports 17 August 2026"
    assert title(Period.WEEKLY, date(2026, 12, 2), "en") == "Kabupaten Pasuruan · Weekly reports 30 Nov – 6 Dec 2026"
    assert title(Period.WEEKLY, date(2026, 12, 9), "id") == "Kabupaten Pasuruan · Laporan mingguan 7 – 13 Des 2026"
    assert title(Period.WEEKLY, date(2026, 12, 31), "id") == \
        "Kabupaten Pasuruan · Laporan mingguan 28 Des 2026 – 3 Jan 2027"
    assert title(Period.MONTHLY, date(2026, 12, 2), "id") == "Kabupaten Pasuruan · Laporan bulanan Desember 2026"
    assert title(Period.MONTHLY, date(2026, 5, 20), "en") == "Kabupaten Pasuruan · Monthly reports May 2026"
    assert title(Period.DAILY, date(2026, 12, 2), "id", Scope("satpolpp")) == \
        "Satpol PP, Kabupaten Pasuruan · Laporan harian 2 Desember 2026"


async def test_the_figure_carries_the_title_and_the_png_its_size(db, pasuruan):
    win = window(pasuruan, Period.WEEKLY, date(2026, 12, 2))
    async with db() as session:
        await seed(session, pasuruan, win, 20)
        fig = await summary_figure(session, pasuruan, win, "en")
        png = await summary_chart(session, pasuruan, win, "en")
    assert fig.get_suptitle() == "Kabupaten Pasuruan · Weekly reports 30 Nov – 6 Dec 2026"
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (1200, 600)


@pytest.mark.parametrize("period", list(Period))
async def test_counts_have_whole_number_ticks(db, pasuruan, period):
    # A few reports over a month: at most one a day, where a default axis ticks 0.2, 0.4, ...
    win = window(pasuruan, period, date(2026, 12, 2))
    async with db() as session:
        await seed(session, pasuruan, win, 3)
        fig = await summary_figure(session, pasuruan, win, "id")
    fig.canvas.draw()
    ticks = bars_of(fig).get_yticks()
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
    (map_,) = axes(fig, MAP)
    colour_bar = next(ax for ax in fig.axes if ax.get_label() == "<colorbar>")
    assert all(float(t).is_integer() for t in colour_bar.get_yticks())
    assert map_.get_title() in ("Laporan per kecamatan", "Laporan per desa/kelurahan")


async def test_a_day_is_drawn_hour_by_hour_in_local_time(db, pasuruan):
    win = window(pasuruan, Period.DAILY, date(2026, 11, 22))
    async with db() as session:
        reporter = await new_reporter(session)
        for i, created in enumerate([datetime(2026, 11, 21, 17, 30, tzinfo=UTC),  # 00:30 WIB on the 22nd
                                     datetime(2026, 11, 22, 1, 5, tzinfo=UTC),  # 08:05 WIB
                                     datetime(2026, 11, 22, 1, 55, tzinfo=UTC)]):  # 08:55 WIB
            session.add(Report(ticket=f"PSR-2611-{i:04d}", draft_token=f"d{i}", reporter_id=reporter.id,
                               region="pasuruan", category="pengemis", agency="satpolpp", informed_agencies=[],
                               state="baru", seen_at=created, seen_when="now", reporter_type="perorangan",
                               anonymous=True, language="id", created_at=created, updated_at=created,
                               response_due_at=created))
        await session.commit()
        fig = await summary_figure(session, pasuruan, win, "en")
    bars = bars_of(fig)
    heights = [p.get_height() for p in bars.patches]
    assert len(heights) == 24 and heights[0] == 1 and heights[8] == 2 and sum(heights) == 3
    assert bars.get_xlabel() == "Hour (WIB)" and bars.get_title() == "Reports per hour (total 3)"
    assert [t.get_text() for t in bars.get_xticklabels()][:3] == ["00:00", "03:00", "06:00"]


@pytest.mark.parametrize("lang, words", [("id", "Tidak ada laporan"), ("en", "No reports")])
async def test_an_empty_period_says_so_in_the_bars_panel(db, pasuruan, no_boundaries, lang, words):
    for region in (pasuruan, no_boundaries):
        win = window(region, Period.MONTHLY, date(2026, 12, 2))
        async with db() as session:
            fig = await summary_figure(session, region, win, lang)
        bars = bars_of(fig)
        assert [t.get_text() for t in bars.texts] == [words]
        assert not fig.legends and bars.get_legend() is None
        assert not any(p.get_height() for p in bars.patches)


@pytest.mark.parametrize("period", list(Period))
async def test_the_legend_lies_outside_the_data(db, pasuruan, no_boundaries, period):
    for i, region in enumerate((pasuruan, no_boundaries)):
        win = window(region, period, date(2026, 12, 2))
        async with db() as session:
            await seed(session, region, win, 40, seed=5 + i)
            fig = await summary_figure(session, region, win, "id")
        fig.canvas.draw()
        bars = bars_of(fig)
        assert bars.get_legend() is None and len(fig.legends) == 1
        legend = fig.legends[0].get_window_extent()
        assert len(fig.legends[0].get_texts()) >= 2
        for ax in [bars, *axes(fig, MAP)]:
            assert not legend.overlaps(ax.get_window_extent()), ax.get_label()
        # Inside the figure, not cut off.
        assert fig.bbox.contains(legend.x0, legend.y0) and fig.bbox.contains(legend.x1, legend.y1)


async def test_a_map_panel_only_where_there_are_boundaries(db, pasuruan, no_boundaries, region):
    day = date(2026, 12, 2)
    async with db() as session:
        for i, r in enumerate((pasuruan, no_boundaries, region)):
            await seed(session, r, window(r, Period.WEEKLY, day), 15, seed=10 + i)
        plain = await summary_figure(session, no_boundaries, window(no_boundaries, Period.WEEKLY, day), "en")
        outlined = await summary_figure(session, region, window(region, Period.WEEKLY, day), "en")
        pack = await summary_figure(session, pasuruan, window(pasuruan, Period.WEEKLY, day), "en")
    # No boundaries: the bars alone, across the whole width.
    assert [ax.get_label() for ax in plain.axes] == [BARS]
    plain.canvas.draw()
    assert bars_of(plain).get_position().width > 0.8
    # Kecamatan boundaries: the pins over the outlines.
    (where,) = axes(outlined, MAP)
    assert where.get_title().startswith("Report locations (")
    assert len(where.patches) == 3 and where.collections  # three kecamatan, and the markers
    # A pack: the choropleth.
    (where,) = axes(pack, MAP)
    assert where.get_title() == "Reports per kecamatan" and len(where.patches) >= 24


async def test_the_dashboards_times_chart_holds_each_weeks_median_and_p90(db, pasuruan):
    """core.trends: a week's acknowledgements and closures, timed from the report (to acknowledge)
    and from the acknowledgement (to close, as the close target runs), in the week they happened."""
    from core.officers import OfficerInfo, Role
    from core.trends import draw, trends

    now = datetime(2026, 12, 3, 5, tzinfo=UTC)
    auditor = OfficerInfo(1, 1, 1, "Inspektur", "satpolpp", Role.AUDITOR, (), True, "en", False)
    async with db() as session:
        reporter = await new_reporter(session)
        # This week: acknowledged after 10, 20, 30 and 40 minutes; two closed 2 and 6 hours after.
        for i, minutes in enumerate((10, 20, 30, 40)):
            created = now - timedelta(days=1, hours=8)
            acked = created + timedelta(minutes=minutes)
            closed = acked + timedelta(hours=2 if i == 0 else 6) if i < 2 else None
            session.add(Report(
                ticket=f"PSR-2612-{i:04d}", draft_token=f"t{i}", reporter_id=reporter.id, region="pasuruan",
                category="pengemis", agency="satpolpp", informed_agencies=[],
                state=ReportState.SELESAI if closed else ReportState.DITERIMA, seen_at=created, seen_when="now",
                reporter_type="perorangan", anonymous=True, language="id", created_at=created, updated_at=created,
                acknowledged_at=acked, response_due_at=created + timedelta(minutes=30), closed_at=closed,
                close_due_at=acked + timedelta(hours=4)))
        await session.commit()
        t = await trends(session, pasuruan, actor=auditor, period="90d", now=now)
    week = t.times[-1]
    assert sorted(week.ack_minutes) == [10, 20, 30, 40] and week.ack_median == 25
    assert sorted(week.close_minutes) == [120, 360] and week.close_median == 240
    assert t.acknowledged[-1] == 4 and t.acknowledged_in_time[-1] == 3  # 40 minutes is past the half hour
    assert t.closed[-1] == 2 and t.closed_in_time[-1] == 1
    assert all(not b.ack_minutes and not b.close_minutes for b in t.times[:-1])
    png = draw(pasuruan, t, "times", Translator("id"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
