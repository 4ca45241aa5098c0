"""Templates and the words in them: Jinja2 through aiohttp-jinja2, in the reader's language from the
same gettext catalogues as the bots (core.i18n). Jinja2 escapes everything it prints."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel.numbers import format_decimal

from core.access import View, may_view
from core.i18n import N_, Translator, translator
from core.lifecycle import STATE_WORDS
from core.region import RegionConfig
from core.web_login import WebActor
from core.when import clock_time, moment
from dashboard.context import DASHBOARD, PREFIX

NAV = (
    ("today", N_("Today"), View.QUEUE, "/"),
    ("reports", N_("Reports"), View.QUEUE, "/laporan"),
    ("map", N_("Map"), View.QUEUE, "/peta"),
    ("charts", N_("Charts"), View.QUEUE, "/grafik"),
    ("audit", N_("Audit log"), View.AUDIT_LOG, "/audit"),
)


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(app, loader=jinja2.PackageLoader("dashboard", "templates"),
                               autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined)
    env.trim_blocks = env.lstrip_blocks = True


class Words:
    """What a template says things with, in one language."""

    def __init__(self, region: RegionConfig, lang: str, now: datetime) -> None:
        self.tr = translator(lang)
        self.lang = self.tr.lang
        self.region = region
        self.now = now

    def __call__(self, msgid: str, **kwargs: Any) -> str:
        return self.tr.plain(msgid, **kwargs)

    def n(self, singular: str, plural: str, n: int, **kwargs: Any) -> str:
        return self.tr.n(singular, plural, n, **kwargs)

    def number(self, value: int | float | None) -> str:
        return "-" if value is None else format_decimal(value, locale=self.lang)

    def category(self, code: str) -> str:
        return self.region.category_label(code, self.lang)

    def agency(self, code: str) -> str:
        return self.region.agency_label(code, self.lang)

    def state(self, code: str) -> str:
        return self.tr.plain(STATE_WORDS[code]) if code in STATE_WORDS else code  # type: ignore[index]

    def when(self, at: datetime | None) -> str:
        return "-" if at is None else moment(self.tr, at, self.region.tz, self.now)

    def date(self, at: datetime | None) -> str:
        return "-" if at is None else at.astimezone(self.region.tz).strftime("%d.%m.%Y")

    def time(self, at: datetime) -> str:
        return clock_time(at.astimezone(self.region.tz), self.lang)

    def duration(self, minutes: float | None) -> str:
        """"45 menit", "3,5 jam", "2 hari": the unit a person would use."""
        if minutes is None:
            return "-"
        if minutes < 90:
            return self.tr.plain(N_("{n} min"), n=self.number(round(minutes)))
        if minutes < 48 * 60:
            return self.tr.plain(N_("{n} h"), n=self.number(round(minutes / 60, 1)))
        return self.tr.plain(N_("{n} days"), n=self.number(round(minutes / 1440, 1)))


def translator_for(actor: WebActor | None, region: RegionConfig) -> Translator:
    return translator(actor.officer.language if actor else region.region.default_language)


def render(request: web.Request, template: str, actor: WebActor | None, *, status: int = 200,
           language: str | None = None, **context: Any) -> web.Response:
    """The page, in the officer's language (`language` for a page after they left, else the region's)."""
    dashboard = request.app[DASHBOARD]
    language = actor.officer.language if actor else language or dashboard.region.region.default_language
    words = Words(dashboard.region, language, dashboard.clock.now())
    nav = [(name, label, path) for name, label, view, path in NAV
           if actor is not None and may_view(actor.officer, view)]
    response = aiohttp_jinja2.render_template(template, request, {
        "_": words, "w": words, "actor": actor, "region": dashboard.region, "prefix": PREFIX, "nav": nav,
        "csrf": actor.csrf_token if actor else "", "lang": words.lang, "page": "", **context})
    response.set_status(status)
    return response
