"""The dashboard's Charts page: how the work went over the last weeks, for a meeting's projector.

Three charts of the reports a person may see (core.access.list_scope): reports per day (30 days)
or per week (90 days, a year) by category; the share acknowledged and closed within the region's
targets in each of those days or weeks; and the period's closures by outcome. Counted in SQL, per
bucket (a CASE over the buckets' first moments: the same statement on SQLite and PostgreSQL), so a
chart costs the same at any size of history. Drawn headless (Agg) to PNG, in the reader's language.
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
from matplotlib.ticker import MaxNLocator, PercentFormatter  # noqa: E402
from sqlalchemy import and_, case, func, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from core.access import list_scope  # noqa: E402
from core.i18n import N_, Translator  # noqa: E402
from core.lifecycle import ReportState  # noqa: E402
from core.officers import OfficerInfo  # noqa: E402
from core.queue import scope_clauses  # noqa: E402
from core.region import RegionConfig  # noqa: E402
from core.when import (
    MONTHS,  # noqa: E402
    day_start,  # noqa: E402
)
from db.models import Report  # noqa: E402

# Period -> (buckets, days per bucket).
PERIODS = {"30d": (30, 1), "90d": (13, 7), "365d": (52, 7)}
PERIOD_LABELS = {"30d": N_("Last 30 days, per day"), "90d": N_("Last 13 weeks, per week"),
                 "365d": N_("Last 52 weeks, per week")}
CHARTS = ("reports", "targets", "outcomes")
WIDTH_PX, HEIGHT_PX, DPI = 1200, 520, 100


@dataclass
class Trends:
    period: str
    starts: list[datetime]  # each bucket's first moment (UTC), oldest first
    by_category: dict[str, list[int]]  # category -> reports per bucket
    acknowledged: list[int]  # acknowledged in each bucket
    acknowledged_in_time: list[int]
    closed: list[int]
    closed_in_time: list[int]
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
    acked = _bucket(Report.acknowledged_at, starts)
    for i, count, timely in (await session.execute(
            select(acked, func.count(), func.sum(case((Report.acknowledged_at <= Report.response_due_at, 1),
                                                      else_=0)))
            .where(Report.acknowledged_at >= starts[0], Report.acknowledged_at <= now, *scope)
            .group_by(acked))).all():
        if 0 <= i < n:
            acknowledged[i], in_time[i] = count, int(timely or 0)
    closed, closed_in_time = [0] * n, [0] * n
    outcomes: dict[tuple[str, str], int] = {}
    done = _bucket(Report.closed_at, starts)
    closed_where = [Report.state == ReportState.SELESAI, Report.closed_at >= starts[0], Report.closed_at <= now,
                    *scope]
    for i, count, timely in (await session.execute(
            select(done, func.count(),
                   func.sum(case((and_(Report.close_due_at.is_not(None), Report.closed_at <= Report.close_due_at),
                                  1), else_=0)))
            .where(*closed_where).group_by(done))).all():
        if 0 <= i < n:
            closed[i], closed_in_time[i] = count, int(timely or 0)
    for agency, outcome, count in (await session.execute(
            select(Report.agency, Report.outcome, func.count()).where(*closed_where)
            .group_by(Report.agency, Report.outcome))).all():
        outcomes[(agency, outcome or "-")] = count
    order = {c.code: i for i, c in enumerate(region.categories)}
    return Trends(period, starts, dict(sorted(by_category.items(), key=lambda kv: order.get(kv[0], 99))),
                  acknowledged, in_time, closed, closed_in_time, outcomes)


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


def draw(region: RegionConfig, t: Trends, chart: str, tr: Translator) -> bytes:
    """One of CHARTS as PNG: large type, for a projector."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.tick_params(labelsize=13)
    labels = _labels(region, t, tr.lang)
    x = list(range(len(labels)))
    step = max(1, len(labels) // 10)
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

