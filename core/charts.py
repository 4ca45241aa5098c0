"""The summary's chart: the period's reports by category (per hour for a day, per day for a week or
a month), and the period's reports on a map: with a region pack, a choropleth of the kecamatan (of
the desa, for a small region such as a kota) with the count in each, drawn from the pack's
boundaries (no basemap, nothing fetched); else the locations over the kecamatan outlines when the
config has them; else no map at all. The title names the region (and the agency, for an agency's
own summary) and the period as a person reads it. Rendered headless (Agg) to PNG."""
from __future__ import annotations

import io
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from core.access import WHOLE_REGION, Scope  # noqa: E402
from core.desa_placement import PackPlacer  # noqa: E402
from core.placement import KecamatanPlacer  # noqa: E402
from core.region import RegionConfig  # noqa: E402
from core.summary import Period, Window  # noqa: E402
from db.models import Report  # noqa: E402

WIDTH_PX, HEIGHT_PX, DPI = 1200, 600, 100
# A region with at most this many desa/kelurahan is drawn desa by desa (Kota Bekasi: 56).
SMALL_REGION_DESA = 60
# Labels of the figure's axes, so a reader of the Figure (a test) can tell them apart.
BARS, MAP = "bars", "map"

# Written here rather than taken from the locale: a server's locale is whatever it is.
MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
SHORT_MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
WEEKDAYS = {
    "id": ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
WORDS = {
    "id": {Period.DAILY: "Laporan harian", Period.WEEKLY: "Laporan mingguan", Period.MONTHLY: "Laporan bulanan",
           "per_hour": "Laporan per jam", "per_day": "Laporan per hari", "total": "jumlah {n}",
           "hour": "Jam ({tz})", "date": "Tanggal", "reports": "Laporan", "none": "Tidak ada laporan",
           "locations": "Lokasi laporan", "pinned": "{n} dengan titik lokasi"},
    "en": {Period.DAILY: "Daily reports", Period.WEEKLY: "Weekly reports", Period.MONTHLY: "Monthly reports",
           "per_hour": "Reports per hour", "per_day": "Reports per day", "total": "total {n}",
           "hour": "Hour ({tz})", "date": "Date", "reports": "Reports", "none": "No reports",
           "locations": "Report locations", "pinned": "{n} with a pinned location"},
}

Row = tuple[datetime, str, float | None, float | None, str | None, str | None]


def _lang(lang: str) -> str:
    return "en" if lang.split("-", 1)[0].lower() == "en" else "id"


def period_text(win: Window, lang: str) -> str:
    """The period as a person reads it: "2 Desember 2026", "30 Nov – 6 Dec 2026", "Desember 2026"."""
    lang = _lang(lang)
    first, last = win.first_day, win.last_day
    if win.period == Period.MONTHLY:
        return f"{MONTHS[lang][first.month - 1]} {first.year}"
    if first == last:
        return f"{first.day} {MONTHS[lang][first.month - 1]} {first.year}"
    short = SHORT_MONTHS[lang]
    if (first.year, first.month) == (last.year, last.month):
        start = f"{first.day}"
    elif first.year == last.year:
        start = f"{first.day} {short[first.month - 1]}"
    else:
        start = f"{first.day} {short[first.month - 1]} {first.year}"
    return f"{start} – {last.day} {short[last.month - 1]} {last.year}"


def chart_title(region: RegionConfig, win: Window, lang: str, scope: Scope = WHOLE_REGION) -> str:
    """"Kabupaten Pasuruan · Laporan harian 2 Desember 2026" (an agency's own: "Satpol PP, ...")."""
    who = region.region.name
    if scope.agency is not None:
        who = f"{region.agency(scope.agency).short.get(lang)}, {who}"
    return f"{who} · {WORDS[_lang(lang)][win.period]} {period_text(win, lang)}"


async def summary_chart(session: AsyncSession, region: RegionConfig, win: Window, lang: str,
                        scope: Scope = WHOLE_REGION) -> bytes:
    """The chart of the reports in `scope` (core.access.summary_scope) as PNG: an agency's own
    reports, or the whole region's for region-wide readers."""
    return png(await summary_figure(session, region, win, lang, scope))


async def summary_figure(session: AsyncSession, region: RegionConfig, win: Window, lang: str,
                         scope: Scope = WHOLE_REGION) -> Figure:
    """The chart as a matplotlib Figure (not registered with pyplot: nothing to close)."""
    mine = [] if scope.region_wide else [Report.agency == scope.agency]
    rows = (await session.execute(
        select(Report.created_at, Report.category, Report.latitude, Report.longitude, Report.kecamatan_code,
               Report.desa_code)
        .where(Report.created_at >= win.start, Report.created_at < win.end, *mine))).all()
    return draw(region, win, lang, [(c, cat, lat, lon, k, d) for c, cat, lat, lon, k, d in rows], scope)


def png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def draw(region: RegionConfig, win: Window, lang: str, rows: Sequence[Row], scope: Scope = WHOLE_REGION) -> Figure:
    """rows: (created_at, category, latitude, longitude, kecamatan_code, desa_code) of the period's reports."""
    words = WORDS[_lang(lang)]
    hourly = win.period == Period.DAILY
    days = [win.first_day + timedelta(days=i) for i in range((win.last_day - win.first_day).days + 1)]
    slots: list[Any] = list(range(24)) if hourly else days
    per_slot: dict[str, Counter] = defaultdict(Counter)
    points: Counter = Counter()
    per_area: Counter = Counter()
    for created, category, lat, lon, kecamatan_code, desa_code in rows:
        local = created.astimezone(region.tz)
        per_slot[category][local.hour if hourly else local.date()] += 1
        if lat is not None and lon is not None:
            # About 100 m cells: reports at one corner are one marker, sized by their number.
            points[(round(lon, 3), round(lat, 3), category)] += 1
        per_area[kecamatan_code] += 1
        per_area[desa_code] += 1
    # The config's order (as the bot lists them), then any category the config no longer has.
    order = [c.code for c in region.categories]
    codes = sorted(per_slot, key=lambda c: (order.index(c) if c in order else len(order), c))
    palette = plt.get_cmap("tab10" if len(order) <= 10 else "tab20")
    colours = {code: palette(i % palette.N) for i, code in enumerate(order + sorted(set(codes) - set(order)))}

    placer = region.placer
    has_map = isinstance(placer, PackPlacer) or bool(getattr(placer, "has_boundaries", False))
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # fig.canvas: drawn without pyplot
    if has_map:
        bars, where = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    else:
        bars, where = fig.subplots(), None
    bars.set_label(BARS)
    fig.suptitle(chart_title(region, win, lang, scope), fontsize=13, fontweight="bold")

    total = sum(sum(c.values()) for c in per_slot.values())
    bottom = [0] * len(slots)
    for code in codes:
        counts = [per_slot[code][s] for s in slots]
        n = sum(counts)
        label = region.category(code).label.get(lang) if code in order else code
        bars.bar(range(len(slots)), counts, bottom=bottom, color=colours[code], label=f"{label} ({n})", width=0.8,
                 zorder=2)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    if total and len(slots) <= 31:
        top = max(bottom)
        for x, n in enumerate(bottom):
            if n:
                bars.text(x, n + top * 0.01, str(n), ha="center", va="bottom", fontsize=7, color="#333333")
    _time_axis(bars, region, win, slots, lang)
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))
    bars.set_ylabel(words["reports"])
    bars.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
    bars.spines[["top", "right"]].set_visible(False)
    heading = words["per_hour" if hourly else "per_day"]
    bars.set_title(f"{heading} ({words['total'].format(n=total)})" if total else heading, fontsize=10)
    if total:
        bars.set_ylim(0, max(bottom) * 1.1)
        handles, labels = bars.get_legend_handles_labels()
        # Below the panels, outside the data: the constrained layout makes room for it.
        fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(labels)), fontsize=8,
                   frameon=False)
    else:
        # An empty period: said in words, not an empty scale.
        bars.set_ylim(0, 1)
        bars.set_yticks([])
        bars.set_ylabel("")
        bars.spines["left"].set_visible(False)
        bars.text(0.5, 0.5, words["none"], transform=bars.transAxes, ha="center", va="center", fontsize=14,
                  color="#666666")

    if where is not None:
        where.set_label(MAP)
        if isinstance(placer, PackPlacer):
            _choropleth(fig, where, placer, per_area, lang)
            min_lon, min_lat, max_lon, max_lat = placer.desa.bounds
        else:
            # Each kecamatan's name and shape, for its label (the placer keeps them side by side).
            named = list(zip(placer.kecamatan_names, placer._lonlat, strict=True)) \
                if isinstance(placer, KecamatanPlacer) else []
            min_lon, min_lat, max_lon, max_lat = _points_map(where, placer.outlines(), named, points, colours, lang)
        pad = 0.03 * max(max_lon - min_lon, max_lat - min_lat)
        where.set_xlim(min_lon - pad, max_lon + pad)
        where.set_ylim(min_lat - pad, max_lat + pad)
        # Degrees of longitude are shorter than degrees of latitude away from the equator.
        where.set_aspect(1 / math.cos(math.radians((min_lat + max_lat) / 2)), adjustable="box")
        if not isinstance(placer, PackPlacer):  # (a choropleth's colour bar stays level with it, centred)
            where.set_anchor("N")  # level with the bars' top, its title beside theirs
        for spine in where.spines.values():
            spine.set_visible(False)
    return fig


def _time_axis(ax: Axes, region: RegionConfig, win: Window, slots: list[Any], lang: str) -> None:
    words = WORDS[_lang(lang)]
    ax.set_xlim(-0.6, len(slots) - 0.4)
    if win.period == Period.DAILY:
        ax.set_xticks(range(0, 24, 3), [f"{h:02d}:00" for h in range(0, 24, 3)], fontsize=8)
        zone = datetime.combine(win.first_day, time(12), tzinfo=region.tz).tzname() or region.region.timezone
        ax.set_xlabel(words["hour"].format(tz=zone), fontsize=8)
    elif win.period == Period.WEEKLY:
        ax.set_xticks(range(len(slots)), [f"{WEEKDAYS[_lang(lang)][d.weekday()]}\n{d.day}" for d in slots],
                      fontsize=8)
    else:
        ax.set_xticks(range(len(slots)), [str(d.day) for d in slots], fontsize=7)
        ax.set_xlabel(words["date"], fontsize=8)
    ax.tick_params(axis="x", length=0)
    ax.tick_params(axis="y", labelsize=8)


def _points_map(ax: Axes, outlines: list[tuple[list[float], list[float]]], named: list[tuple[str, Any]],
                points: Counter, colours: dict[str, Any], lang: str) -> tuple[float, float, float, float]:
    """The report locations over the kecamatan outlines (named: (name, lon/lat geometry) of each
    kecamatan, for its label); returns the outlines' extent."""
    words = WORDS[_lang(lang)]
    for xs, ys in outlines:
        ax.fill(xs, ys, facecolor="#f4f4f4", edgecolor="#888888", linewidth=0.6, zorder=1)
    for name, geom in named:
        point = geom.representative_point()
        ax.annotate(name, (point.x, point.y), ha="center", va="center", fontsize=7, color="#999999", zorder=2)
    xs_all = [x for xs, _ in outlines for x in xs]
    ys_all = [y for _, ys in outlines for y in ys]
    extent = (min(xs_all), min(ys_all), max(xs_all), max(ys_all))
    markers = sorted(points.items(), key=lambda p: -p[1])  # the biggest underneath
    if markers:
        ax.scatter([lon for (lon, _, _), _ in markers], [lat for (_, lat, _), _ in markers],
                   s=[min(30 + 25 * (n - 1), 200) for _, n in markers],
                   color=[colours.get(code, "C0") for (_, _, code), _ in markers], alpha=0.85, edgecolors="white",
                   linewidths=0.8, zorder=3)
    for (lon, lat, _), n in markers:
        if n > 1:
            ax.annotate(str(n), (lon, lat), ha="center", va="center", fontsize=6, color="white",
                        fontweight="bold", zorder=4)
    ax.set_xticks([])
    ax.set_yticks([])
    pinned = sum(points.values())
    ax.set_title(f"{words['locations']} ({words['pinned'].format(n=pinned)})", fontsize=10)
    return extent


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
    if most:  # counts are whole numbers: so are the colour bar's ticks (no reports: no scale)
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7,
                           ticks=MaxNLocator(integer=True))
        bar.ax.tick_params(labelsize=7)
    ax.set_xticks([])  # degrees say nothing to a reader of the map
    ax.set_yticks([])
    level = ("desa/kelurahan" if small else "kecamatan")
    ax.set_title(f"Laporan per {level}" if lang == "id" else f"Reports per {level}")


__all__ = ["chart_title", "draw", "period_text", "png", "summary_chart", "summary_figure"]
