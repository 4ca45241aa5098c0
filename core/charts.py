"""The summary's chart: reports per day by category, and the period's locations over the kecamatan
outlines when the config has them. Rendered headless (Agg) to PNG bytes."""
from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from core.access import WHOLE_REGION, Scope  # noqa: E402
from core.region import RegionConfig  # noqa: E402
from core.summary import Window  # noqa: E402
from db.models import Report  # noqa: E402

WIDTH_PX, HEIGHT_PX, DPI = 1200, 600, 100


async def summary_chart(session: AsyncSession, region: RegionConfig, win: Window, lang: str,
                        scope: Scope = WHOLE_REGION) -> bytes:
    """The chart of the reports in `scope` (core.access.summary_scope): an agency's own reports, or
    the whole region's for region-wide readers."""
    mine = [] if scope.region_wide else [Report.agency == scope.agency]
    rows = (await session.execute(
        select(Report.created_at, Report.category, Report.latitude, Report.longitude)
        .where(Report.created_at >= win.start, Report.created_at < win.end, *mine))).all()
    days = [win.first_day + timedelta(days=i) for i in range((win.last_day - win.first_day).days + 1)]
    per_day: dict[str, Counter] = defaultdict(Counter)
    points = []
    for created, category, lat, lon in rows:
        per_day[category][created.astimezone(region.tz).date()] += 1
        if lat is not None:
            points.append((lon, lat, category))

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

    for xs, ys in region.placer.outlines():
        where.plot(xs, ys, color="#999999", linewidth=0.6)
    colours = {code: f"C{i}" for i, code in enumerate(sorted(per_day))}
    for lon, lat, code in points:
        where.scatter(lon, lat, s=12, color=colours.get(code, "C0"), alpha=0.7)
    if region.region.bbox:
        min_lon, min_lat, max_lon, max_lat = region.region.bbox
        where.set_xlim(min_lon, max_lon)
        where.set_ylim(min_lat, max_lat)
    where.set_aspect("equal", adjustable="box")
    where.set_title("Lokasi laporan" if lang == "id" else "Report locations")
    where.tick_params(labelsize=6)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    plt.close(fig)
    return out.getvalue()
