"""Prometheus metrics for /metrics, and the checks behind /healthz.

Counters of this process (updates handled, messages sent, delivery errors) come from the pollers
and outbox workers; gauges of the whole deployment (reports by state, outbox backlog and age,
unhandled inbox) are read from the database at scrape time, so every instance reports the same.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select, text

from db.models import InboxUpdate, Outbox, Report

if TYPE_CHECKING:
    from lapor.app import App

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Snapshot:
    reports: list[tuple[str, str, int]] = field(default_factory=list)  # agency, state, count
    outbox: list[tuple[str, int, float]] = field(default_factory=list)  # bot, pending, oldest age (s)
    inbox: list[tuple[str, int]] = field(default_factory=list)  # bot, pending


async def read_snapshot(app: App) -> Snapshot:
    now = app.clock.now()
    async with app.sessionmaker() as session:
        reports = (await session.execute(
            select(Report.agency, Report.state, func.count()).group_by(Report.agency, Report.state)
        )).all()
        outbox_rows = (await session.execute(
            select(Outbox.bot, func.count(), func.min(Outbox.created_at))
            .where(Outbox.status == "pending").group_by(Outbox.bot)
        )).all()
        inbox_rows = (await session.execute(
            select(InboxUpdate.bot, func.count()).where(InboxUpdate.status == "pending").group_by(InboxUpdate.bot)
        )).all()
    outbox = []
    for bot, count, oldest in outbox_rows:
        if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC
            oldest = oldest.replace(tzinfo=now.tzinfo)
        outbox.append((bot, count, max(0.0, (now - oldest).total_seconds()) if oldest else 0.0))
    return Snapshot(reports=[tuple(r) for r in reports], outbox=outbox, inbox=[tuple(r) for r in inbox_rows])


class AppCollector:
    """A prometheus_client collector over one App; `snapshot` is refreshed before each scrape."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.snapshot = Snapshot()
        self.refused_webhooks = 0

    def collect(self) -> Iterator[Metric]:
        handled = CounterMetricFamily("lapor_updates_handled", "Updates handled by this instance",
                                      labels=["bot", "result"])
        sent = CounterMetricFamily("lapor_outbox_sent", "Outbox messages delivered by this instance", labels=["bot"])
        errors = CounterMetricFamily("lapor_delivery_errors", "Bot API errors while delivering the outbox, by code",
                                     labels=["bot", "code"])
        for runtime in self.app.runtimes:
            handled.add_metric([runtime.name, "ok"], runtime.poller.handled - runtime.poller.failed)
            handled.add_metric([runtime.name, "failed"], runtime.poller.failed)
            sent.add_metric([runtime.name], runtime.worker.sent)
            for code, count in sorted(runtime.worker.errors.items()):
                errors.add_metric([runtime.name, code], count)
        rate = GaugeMetricFamily("lapor_send_rate_per_second",
                                 "This instance's share of the bot's send budget (the rate over the instances alive)",
                                 labels=["bot"])
        for runtime in self.app.runtimes:
            rate.add_metric([runtime.name], runtime.worker.pacer.rate)
        yield from (handled, sent, errors, rate)
        refused = CounterMetricFamily("lapor_webhook_refused", "Webhook requests refused for a missing or wrong secret")
        refused.add_metric([], self.refused_webhooks)
        yield refused

        snap = self.snapshot
        reports = GaugeMetricFamily("lapor_reports", "Reports by agency and life-cycle state",
                                    labels=["agency", "state"])
        for agency, state, count in snap.reports:
            reports.add_metric([agency, state], count)
        backlog = GaugeMetricFamily("lapor_outbox_backlog", "Messages waiting in the outbox", labels=["bot"])
        age = GaugeMetricFamily("lapor_outbox_oldest_age_seconds", "Age of the oldest waiting outbox message",
                                labels=["bot"])
        inbox = GaugeMetricFamily("lapor_inbox_pending", "Updates accepted but not yet handled", labels=["bot"])
        for runtime in self.app.runtimes:  # zeros too, so an alert rule sees the series
            pending = {b: (n, a) for b, n, a in snap.outbox}.get(runtime.name, (0, 0.0))
            backlog.add_metric([runtime.name], pending[0])
            age.add_metric([runtime.name], pending[1])
            inbox.add_metric([runtime.name], dict(snap.inbox).get(runtime.name, 0))
        yield from (reports, backlog, age, inbox)


class Metrics:
    def __init__(self, app: App) -> None:
        self.collector = AppCollector(app)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)

    async def render(self) -> bytes:
        self.collector.snapshot = await read_snapshot(self.collector.app)
        return generate_latest(self.registry)


async def health(app: App, timeout: float = 3.0) -> dict[str, str]:
    """'ok' or the error, per dependency: the database always, Redis when configured."""
    checks: dict[str, str] = {}

    async def database() -> None:
        async with app.sessionmaker() as session:
            await session.execute(text("SELECT 1"))

    async def redis() -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(app.settings.redis_url, socket_connect_timeout=timeout)
        try:
            await client.ping()
        finally:
            await client.aclose()

    probes = {"database": database}
    if app.settings.redis_url:
        probes["redis"] = redis
    for name, probe in probes.items():
        try:
            await asyncio.wait_for(probe(), timeout)
            checks[name] = "ok"
        except Exception as exc:  # any failure is the answer, not a crash of the endpoint
            checks[name] = f"{type(exc).__name__}: {exc}"[:200] or type(exc).__name__
    return checks
