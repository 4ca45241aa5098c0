"""The summary's chart: reports per day by category, and the period's reports on a map: with a
region pack, a choropleth of the kecamatan (of the desa, for a small region such as a kota) with
the count in each, drawn from the pack's boundaries (no basemap, nothing fetched); else the
locations over the kecamatan outlines when the config has them. Rendered headless (Agg) to PNG."""
from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from core.access import WHOLE_REGION, Scope  # noqa: E402
from core.desa_placement import PackPlacer  # noqa: E402
from core.region import RegionConfig  # noqa: E402
from core.summary import Window  # noqa: E402
from db.models import Report  # noqa: E402

WIDTH_PX, HEIGHT_PX, DPI = 1200, 600, 100
# A region with at most this many desa/kelurahan is drawn desa by desa (Kota Bekasi: 56).
SMALL_REGION_DESA = 60


async def summary_chart(session: AsyncSession, region: RegionConfig, win: Window, lang: str,
                        scope: Scope = WHOLE_REGION) -> bytes:
    """The chart of the reports in `scope` (core.access.summary_scope): an agency's own reports, or
    the whole region's for region-wide readers."""
    mine = [] if scope.region_wide else [Report.agency == scope.agency]
    rows = (await session.execute(
        select(Report.created_at, Report.category, Report.latitude, Report.longitude, Report.kecamatan_code,
               Report.desa_code)
        .where(Report.created_at >= win.start, Report.created_at < win.end, *mine))).all()
    days = [win.first_day + timedelta(days=i) for i in range((win.last_day - win.first_day).days + 1)]
    per_day: dict[str, Counter] = defaultdict(Counter)
    points = []
    per_area: Counter = Counter()
    for created, category, lat, lon, kecamatan_code, desa_code in rows:
        per_day[category][created.astimezone(region.tz).date()] += 1
        if lat is not None:
            points.append((lon, lat, category))
        per_area[kecamatan_code] += 1
        per_area[desa_code] += 1

    fig, (bars, where) = plt.subplots(1, 2, figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI,
                                      gridspec_kw={"width_ratios": [3, 2]})
    bottom = [0] * len(days)
    for code in sorted(per_day):
        counts = [per_day[code][d] for d in days]
        bars.bar(range(len(days)), counts, bottom=bottom, label=region.category(code).label.get(lang))
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    step = max(1, len(days) // 10)
    bars.set_xticks(range(0, len(days), step), [d.strftime("%d-%m") for d in days[::step]], rotation=45)
    bars.set_title("Laporan per hari" if lang == "id" else "Reports per day")
    if per_day:
        bars.legend(fontsize=7, loc="upper left")

    placer = region.placer
    if isinstance(placer, PackPlacer):
        _choropleth(fig, where, placer, per_area, lang)
    else:
        for xs, ys in placer.outlines():
            where.plot(xs, ys, color="#999999", linewidth=0.6)
        colours = {code: f"C{i}" for i, code in enumerate(sorted(per_day))}
        for lon, lat, code in points:
            where.scatter(lon, lat, s=12, color=colours.get(code, "C0"), alpha=0.7)
    if isinstance(placer, PackPlacer):
        min_lon, min_lat, max_lon, max_lat = placer.desa.bounds
        pad = 0.02 * max(max_lon - min_lon, max_lat - min_lat)
        where.set_xlim(min_lon - pad, max_lon + pad)
        where.set_ylim(min_lat - pad, max_lat + pad)
    elif region.region.bbox:
        min_lon, min_lat, max_lon, max_lat = region.region.bbox
        where.set_xlim(min_lon, max_lon)
        where.set_ylim(min_lat, max_lat)
    where.set_aspect("equal", adjustable="box")
    if not isinstance(placer, PackPlacer):
        where.set_title("Lokasi laporan" if lang == "id" else "Report locations")
    where.tick_params(labelsize=6)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    plt.close(fig)
    return out.getvalue()


def _choropleth(fig, ax, placer: PackPlacer, per_area: Counter, lang: str) -> None:
    """Each area filled by its number of reports (none: light grey), the busiest named."""
    small = len(placer.desa.areas) <= SMALL_REGION_DESA
    shapes = placer.desa_shapes() if small or not placer.kecamatan_shapes else placer.kecamatan_shapes
    most = max((per_area[code] for code, _, _ in shapes), default=0)
    cmap = plt.get_cmap("YlOrRd")
    norm = Normalize(vmin=0, vmax=max(most, 1))
    for code, _, geom in shapes:
        n = per_area[code]
        for polygon in getattr(geom, "geoms", [geom]):
            xs, ys = polygon.exterior.xy
            ax.fill(xs, ys, facecolor=cmap(norm(n)) if n else "#f0f0f0", edgecolor="#777777", linewidth=0.4)
    busiest = sorted((s for s in shapes if per_area[s[0]]), key=lambda s: -per_area[s[0]])[:8]
    for code, name, geom in busiest:
        point = geom.representative_point()
        ax.annotate(f"{name}\n{per_area[code]}", (point.x, point.y), ha="center", va="center", fontsize=6,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7)
    bar.ax.tick_params(labelsize=6)
    ax.set_xticks([])  # degrees say nothing to a reader of the map
    ax.set_yticks([])
    level = ("desa/kelurahan" if small else "kecamatan")
    ax.set_title(f"Laporan per {level}" if lang == "id" else f"Reports per {level}")
