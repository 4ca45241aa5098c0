"""The dashboard's Charts page: how the work went over the last weeks, for a meeting's projector.

Four charts of the reports a person may see (core.access.list_scope): reports per day (30 days)
or per week (90 days, a year) by category; the share acknowledged and closed within the region's
targets in each of those days or weeks; the median and 90th percentile of the time to acknowledge
and to close in each; and the period's closures by outcome. Reports are counted in SQL per bucket
(a CASE over the buckets' first moments: the same statement on SQLite and PostgreSQL); the times
are read row by row, but only the period's acknowledgements and closures, so a chart costs what
the period's work holds, at any size of history. Drawn headless (Agg) to PNG, in the reader's
language.
"""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot's users
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import (  # noqa: E402
    FixedLocator,
    FuncFormatter,
    MaxNLocator,
    NullLocator,
    PercentFormatter,
)
from sqlalchemy import case, func, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from core.access import list_scope  # noqa: E402
from core.i18n import N_, Translator  # noqa: E402
from core.lifecycle import ReportState  # noqa: E402
from core.officers import OfficerInfo  # noqa: E402
from core.queue import scope_clauses  # noqa: E402
from core.region import RegionConfig  # noqa: E402
from core.summary import Times  # noqa: E402
from core.when import (
    MONTHS,  # noqa: E402
    day_start,  # noqa: E402
)
from db.models import Report  # noqa: E402

# Period -> (buckets, days per bucket).
PERIODS = {"30d": (30, 1), "90d": (13, 7), "365d": (52, 7)}
PERIOD_LABELS = {"30d": N_("Last 30 days, per day"), "90d": N_("Last 13 weeks, per week"),
                 "365d": N_("Last 52 weeks, per week")}
CHARTS = ("reports", "targets", "times", "outcomes")
WIDTH_PX, HEIGHT_PX, DPI = 1200, 520, 100
# The times chart's ticks, in hours: spans people think in, from a minute to a month.
HOUR_TICKS = (1 / 60, 5 / 60, 0.25, 0.5, 1, 2, 4, 8, 24, 48, 72, 168, 336, 720)
MAX_DATE_LABELS = 8  # at the projector's type size, more overlap


@dataclass
class Trends:
    period: str
    starts: list[datetime]  # each bucket's first moment (UTC), oldest first
    by_category: dict[str, list[int]]  # category -> reports per bucket
    acknowledged: list[int]  # acknowledged in each bucket
    acknowledged_in_time: list[int]
    closed: list[int]
    closed_in_time: list[int]
    times: list[Times]  # minutes to acknowledge and to close, of each bucket's acknowledgements and closures
    outcomes: dict[tuple[str, str], int]  # (agency, outcome) -> closures in the period


def bucket_starts(region: RegionConfig, period: str, now: datetime) -> list[datetime]:
    count, days = PERIODS[period]
    today = now.astimezone(region.tz).date()
    # Weeks end with today: the last bucket is the seven days up to today.
    first = today - timedelta(days=count * days - 1)
    return [day_start(first + timedelta(days=i * days), region.tz) for i in range(count)]


def _bucket(column: Any, starts: list[datetime]) -> Any:
    """The index of the bucket a moment falls in (-1 before the first): the latest start it passed."""
    return case(*((column >= start, i) for i, start in reversed(list(enumerate(starts)))), else_=-1)


async def trends(session: AsyncSession, region: RegionConfig, *, actor: OfficerInfo, period: str,
                 now: datetime) -> Trends:
    period = period if period in PERIODS else "30d"
    starts = bucket_starts(region, period, now)
    scope = await scope_clauses(session, list_scope(actor))
    n = len(starts)
    by_category: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    created = _bucket(Report.created_at, starts)
    for i, category, count in (await session.execute(
            select(created, Report.category, func.count())
            .where(Report.created_at >= starts[0], Report.created_at <= now, *scope)
            .group_by(created, Report.category))).all():
        if 0 <= i < n:
            by_category[category][i] += count
    acknowledged, in_time = [0] * n, [0] * n
    times = [Times() for _ in range(n)]
    acked = _bucket(Report.acknowledged_at, starts)
    for i, created, at, due in (await session.execute(
            select(acked, Report.created_at, Report.acknowledged_at, Report.response_due_at)
            .where(Report.acknowledged_at >= starts[0], Report.acknowledged_at <= now, *scope))).all():
        if 0 <= i < n:
            acknowledged[i] += 1
            in_time[i] += at <= due
            times[i].ack_minutes.append((at - created).total_seconds() / 60)
    closed, closed_in_time = [0] * n, [0] * n
    outcomes: dict[tuple[str, str], int] = {}
    done = _bucket(Report.closed_at, starts)
    closed_where = [Report.state == ReportState.SELESAI, Report.closed_at >= starts[0], Report.closed_at <= now,
                    *scope]
    for i, created, acknowledged_at, at, due in (await session.execute(
            select(done, Report.created_at, Report.acknowledged_at, Report.closed_at, Report.close_due_at)
            .where(*closed_where))).all():
        if 0 <= i < n:
            closed[i] += 1
            closed_in_time[i] += due is not None and at <= due
            # Against the close target, which runs from the acknowledgement (as on Today).
            times[i].close_minutes.append((at - (acknowledged_at or created)).total_seconds() / 60)
    for agency, outcome, count in (await session.execute(
            select(Report.agency, Report.outcome, func.count()).where(*closed_where)
            .group_by(Report.agency, Report.outcome))).all():
        outcomes[(agency, outcome or "-")] = count
    order = {c.code: i for i, c in enumerate(region.categories)}
    return Trends(period, starts, dict(sorted(by_category.items(), key=lambda kv: order.get(kv[0], 99))),
                  acknowledged, in_time, closed, closed_in_time, times, outcomes)


# ---- drawing ------------------------------------------------------------------------------------

# Colour-blind-safe (Okabe-Ito), one per category in the region's order.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def _figure() -> Figure:
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    fig.set_facecolor("white")
    return fig


def _labels(region: RegionConfig, t: Trends, lang: str) -> list[str]:
    months = MONTHS.get(lang, MONTHS["en"])
    out = []
    for start in t.starts:
        local = start.astimezone(region.tz).date()
        out.append(f"{local.day} {months[local.month - 1][:3]}")
    return out


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _hours(values: list[float | None]) -> list[float]:
    # Under a minute is drawn at a minute: a log scale has no place for nought.
    return [max(v, 1) / 60 if v is not None else float("nan") for v in values]


def _span(hours: float, tr: Translator) -> str:
    """A tick of HOUR_TICKS in the unit people would say it in."""
    if hours < 1:
        return tr.plain(N_("{n} min"), n=f"{hours * 60:.0f}")
    if hours < 24:
        return tr.plain(N_("{n} h"), n=f"{hours:g}")
    return tr.plain(N_("{n} d"), n=f"{hours / 24:g}")


def _draw_times(region: RegionConfig, t: Trends, ax: Any, tr: Translator) -> None:
    """Median (solid) and 90th percentile (dashed) time to acknowledge and to close, on a log
    scale (minutes and days on one axis), with the region's strictest targets as dotted lines."""
    x = range(len(t.starts))
    lines = ((N_("median time to acknowledge"), N_("90% acknowledged within"), PALETTE[0],
              [b.ack_median for b in t.times], [b.ack_p90 for b in t.times]),
             (N_("median time to close"), N_("90% closed within"), PALETTE[1],
              [b.close_median for b in t.times], [b.close_p90 for b in t.times]))
    for median_label, p90_label, colour, median, p90 in lines:
        ax.plot(x, _hours(median), marker="o", linewidth=3, color=colour, label=tr.plain(median_label))
        ax.plot(x, _hours(p90), linewidth=2, linestyle="--", color=colour, label=tr.plain(p90_label))
    if region.categories:
        response = min(c.response_minutes for c in region.categories) / 60
        close = min(c.close_hours for c in region.categories)
        ax.axhline(response, color=PALETTE[0], linestyle=":", linewidth=1.5,
                   label=tr.plain(N_("strictest response target")))
        ax.axhline(close, color=PALETTE[1], linestyle=":", linewidth=1.5, label=tr.plain(N_("strictest close target")))
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(FixedLocator(HOUR_TICKS))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda h, _: _span(h, tr)))
    ax.set_title(tr.plain(N_("Time to acknowledge and to close")), fontsize=17, loc="left")
    ax.grid(axis="y", alpha=0.3)
    if any(b.ack_minutes or b.close_minutes for b in t.times):
        ax.legend(fontsize=11, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    else:
        ax.text(0.5, 0.5, tr.plain(N_("No report was acknowledged or closed in this period.")), ha="center",
                va="center", transform=ax.transAxes, fontsize=16, color="#5b6876")


def draw(region: RegionConfig, t: Trends, chart: str, tr: Translator) -> bytes:
    """One of CHARTS as PNG: large type, for a projector."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.tick_params(labelsize=13)
    labels = _labels(region, t, tr.lang)
    x = list(range(len(labels)))
    step = max(1, -(-len(labels) // MAX_DATE_LABELS))
    if chart == "reports":
        bottom = [0] * len(x)
        for i, (category, counts) in enumerate(t.by_category.items()):
            label = region.category_label(category, tr.lang)
            ax.bar(x, counts, bottom=bottom, label=label, color=PALETTE[i % len(PALETTE)], width=0.8)
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        ax.set_title(tr.plain(N_("Reports received, by category")), fontsize=17, loc="left")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if t.by_category:
            ax.legend(fontsize=12, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        else:
            ax.text(0.5, 0.5, tr.plain(N_("No reports in this period.")), ha="center", va="center",
                    transform=ax.transAxes, fontsize=16, color="#5b6876")
    elif chart == "targets":
        def share(part: list[int], whole: list[int]) -> list[float]:
            return [p / w if w else float("nan") for p, w in zip(part, whole, strict=True)]

        ax.plot(x, share(t.acknowledged_in_time, t.acknowledged), marker="o", linewidth=3, color=PALETTE[0],
                label=tr.plain(N_("acknowledged within the response target")))
        ax.plot(x, share(t.closed_in_time, t.closed), marker="s", linewidth=3, color=PALETTE[1],
                label=tr.plain(N_("closed within the close target")))
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title(tr.plain(N_("Share handled within the targets")), fontsize=17, loc="left")
        ax.legend(fontsize=12, loc="lower left", frameon=False)
        ax.grid(axis="y", alpha=0.3)
    elif chart == "times":
        _draw_times(region, t, ax, tr)
    else:
        items = sorted(t.outcomes.items(), key=lambda kv: kv[1])
        names = [region.outcome_label(agency, outcome, tr.lang) for (agency, outcome), _ in items]
        ax.barh(range(len(items)), [n for _, n in items], color=PALETTE[2], height=0.6)
        ax.set_yticks(range(len(items)), names)
        ax.set_ylim(-0.5, max(len(items), 6) - 0.5)  # a bar or two stay bars, not walls
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(tr.plain(N_("Closed reports by outcome")), fontsize=17, loc="left")
        if not items:
            ax.text(0.5, 0.5, tr.plain(N_("No report was closed in this period.")), ha="center", va="center",
                    transform=ax.transAxes, fontsize=16, color="#5b6876")
    if chart != "outcomes":
        ax.set_xticks(x[::step], labels[::step])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)

