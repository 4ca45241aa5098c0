"""The Open311 GeoReport v2 API's answers, as plain values (open311/ serves them as JSON and XML).

What a client reads of a report is the policy's (core.access.partner_reads_in_full): without a key,
and for reports its key does not cover, only what is safe to publish about vulnerable people -
category, state, agency, dates, and the place coarsened to its kecamatan's centroid. A key of an
agency (agency:CODE) reads that agency's reports in full (description, desa and landmark, the exact
pin); a read-all key (the auditor's view) reads every report in full. Nobody reads the reporter,
the photos, an officer's notes or anything of the case file here.

Lists are read newest first within a date window (the spec's default: the last 90 days), at most
MAX_PAGE a page, through ix_reports_created (or the few open reports by their state); the next page
is a keyset cursor (after the last report given), so a page costs the same at any size.
"""
from __future__ import annotations

import base64
import json
import re
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import PartnerFacts, partner_may_submit, partner_reads_in_full
from core.clock import Clock
from core.draft import AGE_GROUP_LABELS, PEOPLE_COUNT_LABELS, AgeGroup, PeopleCount, ReportDraft, ReporterType, SeenWhen
from core.i18n import N_, translator
from core.lifecycle import OPEN_STATES, STATE_WORDS, ReportState
from core.map_data import kecamatan_key, region_boundaries
from core.region import Category, RegionConfig
from core.report_submit import DraftIncomplete, RateLimited, ReporterBanned, submit_report
from core.wilayah import normalise_name
from db.models import AuditEvent, Report, Reporter

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_PAGE = 1000
DEFAULT_WINDOW = timedelta(days=90)
MAX_IDS = 100  # service_request_id=a,b,c: at most this many at once
CENTROID_DECIMALS = 4  # about 11 m: the centroid itself is the coarsening

# Field lists of the GeoReport v2 spec, in its order.
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url")
ATTRIBUTE_FIELDS = ("variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values")

# The PMKS family of the default categories (the seeds' groupings): penyakit masyarakat (Pekat) in
# Pasuruan's CPIG guide, the neglected (terlantar) of the PMKS regulations. A category not listed
# here is "PMKS". (A region config field would be the better home; see the report of issue 20.)
FAMILY_PEKAT = "Penyakit masyarakat (Pekat)"
FAMILY_TERLANTAR = "PMKS terlantar"
FAMILIES = {"anak_jalanan": FAMILY_PEKAT, "pengemis": FAMILY_PEKAT, "pelacuran": FAMILY_PEKAT,
            "gelandangan": FAMILY_TERLANTAR, "gelandangan_psikotik": FAMILY_TERLANTAR,
            "lansia_terlantar": FAMILY_TERLANTAR, "anak_terlantar": FAMILY_TERLANTAR}

# The bot's own questions (bot/flows/report_ui.py), reused so their translations are the bot's.
Q_PEOPLE = N_("👥 <b>How many people did you see?</b>")
Q_AGE = N_("<b>About how old are they?</b>")
Q_URGENT = N_("⚠️ <b>Is someone in danger right now?</b> For example a child in traffic, violence, "
              "or someone badly ill.")
Q_LANDMARK = N_("🏷️ Add a landmark to help officers (optional), e.g. “near the market gate”.")
YES_DANGER = N_("Yes, someone is in danger")
NO = N_("No")


class Open311Error(Exception):
    """An answer of the spec's errors list: `status` the HTTP status, `description` in English (the
    spec's clients and partners' developers expect English; nothing here is shown to residents)."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after  # seconds, for a 429


def _plain(text: str) -> str:
    """A bot question as plain text: no HTML, no leading emoji."""
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"^[^\w“\"]+", "", text).strip()


def _lang(region: RegionConfig, lang: str | None) -> str:
    return lang if lang in region.region.languages else region.region.default_language


# ---- services ----------------------------------------------------------------------------------


def family(category: Category) -> str:
    return FAMILIES.get(category.code, "PMKS")


def services(region: RegionConfig, lang: str | None = None) -> list[dict[str, Any]]:
    """One service per category: its label, the regulation's criteria, its PMKS family."""
    lang = _lang(region, lang)
    return [{"service_code": c.code, "service_name": c.label.get(lang),
             "description": " ".join(c.criteria.get(lang).split()), "metadata": True, "type": "realtime",
             "keywords": ", ".join(dict.fromkeys([c.code.replace("_", " "), c.label.get(lang).lower()])),
             "group": family(c)} for c in region.categories]


def service_definition(region: RegionConfig, code: str, lang: str | None = None) -> dict[str, Any]:
    """The category's questions, as the bot asks them, as attributes."""
    try:
        region.category(code)
    except KeyError:
        raise Open311Error(404, f"no service {code[:40]!r}; GET services lists them") from None
    tr = translator(_lang(region, lang))

    def values(labels: Mapping[str, str]) -> list[dict[str, str]]:
        return [{"key": str(key), "name": tr.plain(label)} for key, label in labels.items()]

    attributes = [
        ("people_count", "singlevaluelist", Q_PEOPLE, values({k: PEOPLE_COUNT_LABELS[k] for k in PeopleCount})),
        ("age_group", "singlevaluelist", Q_AGE, values({k: AGE_GROUP_LABELS[k] for k in AgeGroup})),
        ("urgent", "singlevaluelist", Q_URGENT, values({"true": YES_DANGER, "false": NO})),
        ("landmark", "string", Q_LANDMARK, []),
    ]
    return {"service_code": code, "attributes": [
        {"variable": True, "code": name, "datatype": datatype, "required": False, "datatype_description": None,
         "order": order, "description": _plain(tr.plain(question)), "values": options}
        for order, (name, datatype, question, options) in enumerate(attributes, start=1)]}


# ---- places ------------------------------------------------------------------------------------

_centroids: weakref.WeakKeyDictionary[Any, dict[str, tuple[float, float]]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def kecamatan_centroids(region: RegionConfig) -> dict[str, tuple[float, float]]:
    """(lat, long) of each kecamatan's centroid, by core.map_data.kecamatan_key, from the region's
    boundaries (a pack's kecamatan, or those of its config); empty without boundaries. Kept per
    region: boundaries do not change while the app runs."""
    placer = region.placer
    with _lock:
        if placer in _centroids:
            return _centroids[placer]
    boundaries = region_boundaries(region)
    found: dict[str, tuple[float, float]] = {}
    for feature in boundaries.kecamatan["features"] if boundaries is not None else []:
        geom = shape(feature["geometry"])
        if geom.is_empty:
            continue
        point = shapely.centroid(geom)
        if not geom.contains(point):  # a crescent-shaped kecamatan: a point inside it instead
            point = geom.representative_point()
        found[feature["properties"]["code"]] = (round(point.y, CENTROID_DECIMALS), round(point.x, CENTROID_DECIMALS))
    with _lock:
        _centroids[placer] = found
    return found


# ---- requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    status: tuple[str, ...] = ()  # open, closed
    page_size: int = MAX_PAGE
    after: tuple[datetime, int] | None = None


def _when(text: str, region: RegionConfig, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} {text[:40]!r} is not a W3C datetime; use e.g. "
                                "2026-12-01T00:00:00+07:00") from None
    if value.tzinfo is None:  # a local date or time of the region
        value = value.replace(tzinfo=region.tz)
    return value.astimezone(UTC)


def _list(text: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in (text or "").split(",") if v.strip()))


def encode_cursor(at: datetime, report_id: int) -> str:
    raw = json.dumps([at.astimezone(UTC).isoformat(), report_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        at, report_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value = datetime.fromisoformat(at)
        if value.tzinfo is not None and isinstance(report_id, int) and len(cursor) <= 200:
            return value, report_id
    except (ValueError, TypeError):
        pass
    raise Open311Error(400, "after is not a cursor this API gave; follow the Link header of the last page")


def parse_query(region: RegionConfig, params: Mapping[str, str], now: datetime) -> RequestQuery:
    """The spec's filters of GET requests, checked; Open311Error(400) names what cannot be used.
    Without dates: the last 90 days. With service_request_id, every other filter is ignored (as
    the spec says)."""
    ids = _list(params.get("service_request_id"))
    if len(ids) > MAX_IDS:
        raise Open311Error(400, f"service_request_id: at most {MAX_IDS} ids at once")
    if ids:
        return RequestQuery(ids=ids)
    codes = _list(params.get("service_code"))
    known = {c.code for c in region.categories}
    for code in codes:
        if code not in known:
            raise Open311Error(400, f"service_code {code[:40]!r} is not a service; GET services lists them")
    status = _list(params.get("status"))
    for s in status:
        if s not in ("open", "closed"):
            raise Open311Error(400, f"status {s[:20]!r}: use open or closed")
    start = _when(params["start_date"], region, "start_date") if params.get("start_date") else None
    end = _when(params["end_date"], region, "end_date") if params.get("end_date") else None
    if start is None and end is None:
        end = now
        start = now - DEFAULT_WINDOW
    elif start is None:
        assert end is not None
        start = end - DEFAULT_WINDOW
    if end is not None and start > end:
        raise Open311Error(400, "start_date is after end_date")
    size_text = (params.get("page_size") or "").strip()
    page_size = MAX_PAGE
    if size_text:
        if not size_text.isdigit() or not 1 <= int(size_text) <= MAX_PAGE:
            raise Open311Error(400, f"page_size: a whole number from 1 to {MAX_PAGE}")
        page_size = int(size_text)
    after = _decode_cursor(params["after"].strip()) if params.get("after") else None
    return RequestQuery((), codes, start, end, status, page_size, after)


def _iso(value: datetime | None, region: RegionConfig) -> str | None:
    return value.astimezone(region.tz).isoformat(timespec="seconds") if value is not None else None


def _expected(report: Report) -> datetime | None:
    if report.state not in OPEN_STATES:
        return None
    if report.acknowledged_at is None or report.close_due_at is None:
        return report.response_due_at
    return report.close_due_at


def request_of(report: Report, region: RegionConfig, *, full: bool, lang: str | None = None) -> dict[str, Any]:
    """One report as a GeoReport v2 service request. full=False (what anyone may read): category,
    state, agency, dates and the kecamatan's centroid, nothing else. full=True (a key that covers
    it): also the description, the desa and landmark, and the exact pin."""
    lang = _lang(region, lang)
    tr = translator(lang)
    state_words = tr.plain(STATE_WORDS[ReportState(report.state)]) if report.state in STATE_WORDS else report.state
    kecamatan = region.kecamatan_by_code(report.kecamatan_code or "") or \
        (region.kecamatan_by_name(report.kecamatan) if report.kecamatan else None)
    kecamatan_name = kecamatan.name if kecamatan is not None else report.kecamatan
    lat = lon = None
    address: str | None = f"Kecamatan {kecamatan_name}" if kecamatan_name else None
    notes = state_words
    description = None
    if full:
        description = report.description
        parts = [report.landmark, f"Desa/Kelurahan {report.desa}" if report.desa else None, address]
        address = ", ".join(p for p in parts if p) or None
        lat, lon = report.latitude, report.longitude
        if report.outcome:
            notes = f"{state_words}: {region.outcome_label(report.agency, report.outcome, lang)}"
    if lat is None or lon is None or not full:
        key = kecamatan_key(region, report.kecamatan_code, report.kecamatan)
        lat, lon = kecamatan_centroids(region).get(key or "", (None, None))
    return {
        "service_request_id": report.ticket,
        "status": "open" if report.state in OPEN_STATES else "closed",
        "status_notes": notes,
        "service_name": region.category_label(report.category, lang),
        "service_code": report.category,
        "description": description,
        "agency_responsible": region.agency_label(report.agency, lang),
        "service_notice": None,
        "requested_datetime": _iso(report.created_at, region),
        "updated_datetime": _iso(report.updated_at, region),
        "expected_datetime": _iso(_expected(report), region),
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": None,
    }


@dataclass(frozen=True)
class RequestPage:
    requests: list[dict[str, Any]]
    next_after: str | None  # the cursor of the next page (the `after` parameter), if there is one


async def list_requests(session: AsyncSession, region: RegionConfig, *, partner: PartnerFacts | None,
                        query: RequestQuery, lang: str | None = None) -> RequestPage:
    """The reports the query asks for, newest first, each as far as `partner` may read it."""
    stmt = select(Report)
    if query.ids:
        stmt = stmt.where(Report.ticket.in_(list(query.ids)))
    else:
        assert query.start is not None
        stmt = stmt.where(Report.created_at >= query.start)
        if query.end is not None:
            stmt = stmt.where(Report.created_at <= query.end)
        if query.service_codes:
            stmt = stmt.where(Report.category.in_(list(query.service_codes)))
        if set(query.status) == {"open"}:
            stmt = stmt.where(Report.state.in_(list(OPEN_STATES)))  # a few hundred, by their state
        elif set(query.status) == {"closed"}:
            # Said as "not open", so the planner walks the window by its date, newest first,
            # rather than read every closed report of the history by its state and sort them.
            stmt = stmt.where(Report.state.not_in(list(OPEN_STATES)))
        if query.after is not None:
            at, last_id = query.after
            stmt = stmt.where(Report.created_at <= at,
                              or_(Report.created_at < at, and_(Report.created_at == at, Report.id < last_id)))
    stmt = stmt.order_by(Report.created_at.desc(), Report.id.desc()).limit(query.page_size + 1)
    rows = list((await session.execute(stmt)).scalars())
    page = rows[:query.page_size]
    next_after = None
    if len(rows) > query.page_size and not query.ids:
        next_after = encode_cursor(page[-1].created_at, page[-1].id)
    return RequestPage([request_of(r, region, full=partner_reads_in_full(partner, r.agency), lang=lang)
                        for r in page], next_after)


async def get_request(session: AsyncSession, region: RegionConfig, *, partner: PartnerFacts | None,
                      ticket: str, lang: str | None = None) -> dict[str, Any]:
    report = await _by_ticket(session, ticket)
    return request_of(report, region, full=partner_reads_in_full(partner, report.agency), lang=lang)


async def _by_ticket(session: AsyncSession, ticket: str) -> Report:
    report = None
    if 0 < len(ticket) <= 24:
        report = (await session.execute(select(Report).where(Report.ticket == ticket.upper()))).scalar_one_or_none()
    if report is None:
        raise Open311Error(404, f"no service request {ticket[:40]!r}")
    return report


async def token_of(session: AsyncSession, token: str) -> dict[str, Any]:
    """A token is the ticket itself: a POST here answers with the ticket at once."""
    report = await _by_ticket(session, token)
    return {"service_request_id": report.ticket, "token": report.ticket}


def discovery(region: RegionConfig, base_url: str, changeset: date | None = None) -> dict[str, Any]:
    at = datetime.combine(changeset or date(2026, 12, 3), datetime.min.time(), tzinfo=UTC).isoformat()
    return {"changeset": at, "contact": f"Lapor PMKS, {region.region.name}",
            "key_service": "Keys are given by the operator of this service (`lapor open311 key add`).",
            "endpoints": [{"specification": SPECIFICATION, "url": base_url, "changeset": at, "type": "production",
                           "formats": ["text/xml", "application/json"]}]}


# ---- POST requests: a report from another channel ----------------------------------------------

# Each key files as one reporter of its own (never a Telegram user: a negative id below this), which
# cannot be reached by the bots: the partner learns of its report by GET, as the spec has it.
PARTNER_REPORTER_BASE = -(10**15)
MEDIA_URL_MAX = 500
HANDLED_BY = N_("Handled by: {agency}")
RESPONSE_TARGET = N_("Response target: within {target}")
DO_NOT_CONFRONT = N_("Please do not confront anyone yourself.")


def _minutes(tr: Any, minutes: int) -> str:
    """As the bot says a response target (bot.notices.format_minutes)."""
    if minutes % (24 * 60) == 0:
        return str(tr.n("{n} day", "{n} days", minutes // (24 * 60)))
    if minutes % 60 == 0:
        return str(tr.n("{n} hour", "{n} hours", minutes // 60))
    return str(tr.n("{n} minute", "{n} minutes", minutes))


@dataclass(frozen=True)
class Place:
    latitude: float | None
    longitude: float | None
    kecamatan: str
    kecamatan_code: str | None
    desa: str | None
    desa_code: str | None


def _number(params: Mapping[str, str], name: str) -> float:
    try:
        value = float(params[name].strip())
    except ValueError:
        raise Open311Error(400, f"{name} {params[name][:30]!r} is not a number in decimal degrees") from None
    return value


def place_of(region: RegionConfig, params: Mapping[str, str]) -> Place:
    """lat/long placed by the region's boundaries (its pack: the desa), or address_string matched
    to a kecamatan (and desa) of the region by name. A place outside the region is refused: a
    partner's report has nobody to ask which kecamatan was meant, as the bot asks a resident."""
    name = region.region.name
    if params.get("lat") or params.get("long"):
        if not (params.get("lat") and params.get("long")):
            raise Open311Error(400, "give both lat and long (WGS84 decimal degrees)")
        lat, lon = _number(params, "lat"), _number(params, "long")
        try:
            placed = region.placer.place(lat, lon)
        except ValueError:
            raise Open311Error(400, f"lat {lat}, long {lon} is no place on earth") from None
        if placed.inside_region is False:
            elsewhere = f" (it seems to be in {placed.elsewhere})" if placed.elsewhere else ""
            raise Open311Error(400, f"lat {lat}, long {lon} lies outside {name}{elsewhere}; this service takes "
                                    f"reports in {name} only")
        if placed.kecamatan is None:
            if params.get("address_string"):
                return _by_address(region, params["address_string"], lat, lon)
            raise Open311Error(400, f"lat {lat}, long {lon} could not be placed in a kecamatan of {name}; "
                                    "add address_string naming the kecamatan")
        kecamatan = region.kecamatan_by_name(placed.kecamatan)
        code = placed.desa_code.rsplit(".", 1)[0] if placed.desa_code else (kecamatan.code if kecamatan else None)
        return Place(lat, lon, placed.kecamatan, code, placed.desa, placed.desa_code)
    if params.get("address_string"):
        return _by_address(region, params["address_string"], None, None)
    raise Open311Error(400, "give lat and long, or address_string naming a kecamatan of " + name)


def _by_address(region: RegionConfig, address: str, lat: float | None, lon: float | None) -> Place:
    parts = [normalise_name(p) for p in address.split(",") if p.strip()]
    kecamatan = next((k for k in region.kecamatan if normalise_name(k.name) in parts), None)
    candidates = [kecamatan] if kecamatan is not None else list(region.kecamatan)
    desa = [(k, d) for k in candidates for d in k.desa if normalise_name(d) in parts]
    if kecamatan is None and len(desa) == 1:
        kecamatan = desa[0][0]
    if kecamatan is None:
        example = region.kecamatan[0].name
        raise Open311Error(400, f"address_string names no kecamatan of {region.region.name}; separate its parts "
                                f"by commas and name the kecamatan, e.g. 'Jl. Raya 1, {example}'")
    found = next((d for k, d in desa if k is kecamatan), None)
    return Place(lat, lon, kecamatan.name, kecamatan.code, found, kecamatan.desa_code(found) if found else None)


def _choice(params: Mapping[str, str], name: str, allowed: list[str]) -> str | None:
    value = (params.get(f"attribute[{name}]") or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise Open311Error(400, f"attribute[{name}] {value[:30]!r}: use one of {', '.join(allowed)}")
    return value


async def _partner_reporter(session: AsyncSession, region: RegionConfig, partner: PartnerFacts, now: datetime
                            ) -> int:
    telegram_id = PARTNER_REPORTER_BASE - partner.key_id
    found = (await session.execute(select(Reporter.id).where(Reporter.telegram_id == telegram_id))).scalar()
    if found is not None:
        return found
    row = Reporter(telegram_id=telegram_id, chat_id=telegram_id, display_name=f"Open311: {partner.partner}"[:128],
                   language=region.region.default_language, created_at=now, unreachable=True)
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:  # two first requests of one key at once
        await session.rollback()
        return (await session.execute(select(Reporter.id).where(Reporter.telegram_id == telegram_id))).scalar_one()
    return row.id


async def submit_request(session: AsyncSession, *, clock: Clock, region: RegionConfig, partner: PartnerFacts | None,
                         params: Mapping[str, str], lang: str | None = None) -> dict[str, Any]:
    """A report from a partner's channel, through the bot's own submit service
    (core.report_submit.submit_report: the same routing, ticket, alerts, audit and flood limits,
    per key). Returns the spec's answer: the ticket as service_request_id, and a notice."""
    if partner is None or not partner_may_submit(partner):
        raise Open311Error(403, "POST requests needs an api_key with the submit scope")
    code = (params.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code is required; GET services lists them")
    try:
        region.category(code)
    except KeyError:
        raise Open311Error(400, f"service_code {code[:40]!r} is not a service; GET services lists them") from None
    place = place_of(region, params)
    people = _choice(params, "people_count", [p.value for p in PeopleCount])
    age = _choice(params, "age_group", [a.value for a in AgeGroup])
    urgent = _choice(params, "urgent", ["true", "false"]) == "true"
    limits = region.limits
    landmark = " ".join((params.get("attribute[landmark]") or "").split()) or \
        (" ".join(params.get("address_string", "").split()) or None)
    if landmark is not None and len(landmark) > limits.landmark_max_chars:
        raise Open311Error(400, f"attribute[landmark] (or address_string): at most {limits.landmark_max_chars} "
                                "characters")
    description = (params.get("description") or "").strip() or None
    media_url = (params.get("media_url") or "").strip() or None
    if media_url is not None:
        if not re.fullmatch(r"https?://[^\s<>\"]+", media_url) or len(media_url) > MEDIA_URL_MAX:
            raise Open311Error(400, f"media_url: an http(s) address of at most {MEDIA_URL_MAX} characters")
        # Kept as a link for the officer (never fetched here): a line of the description.
        description = f"{description}\n{media_url}" if description else media_url
    if description is not None and len(description) > limits.description_max_chars:
        raise Open311Error(400, f"description (with media_url): at most {limits.description_max_chars} characters")
    now = clock.now()
    reporter_id = await _partner_reporter(session, region, partner, now)
    draft = ReportDraft(category=code, latitude=place.latitude, longitude=place.longitude,
                        kecamatan=place.kecamatan, desa=place.desa, kecamatan_code=place.kecamatan_code,
                        desa_code=place.desa_code, landmark=landmark, landmark_done=True, quick=True,
                        people_count=PeopleCount(people or PeopleCount.UNKNOWN),
                        age_group=AgeGroup(age or AgeGroup.UNKNOWN), description=description,
                        description_done=True, seen_when=SeenWhen.NOW, seen_at=now, photos_done=True,
                        urgent=urgent, reporter_type=ReporterType.PERORANGAN, anonymous=True)
    try:
        result = await submit_report(session, clock=clock, region=region, reporter_id=reporter_id, draft=draft,
                                     partner=True)
    except RateLimited as exc:
        seconds = max(1, int(exc.retry_after.total_seconds()))
        raise Open311Error(429, f"too many requests from this api_key; try again in {seconds} seconds",
                           retry_after=seconds) from None
    except ReporterBanned:
        raise Open311Error(403, "this api_key may no longer submit requests") from None
    except DraftIncomplete as exc:
        raise Open311Error(400, f"missing: {', '.join(exc.missing)}") from None
    # The partner behind the report, in the audit log beside its "submitted" event.
    session.add(AuditEvent(report_id=result.report_id, at=now, actor_type="partner", actor_id=partner.key_id,
                           action="open311_submitted",
                           data={"partner": partner.partner, **({"media_url": media_url} if media_url else {})}))
    await session.commit()
    tr = translator(_lang(region, lang))
    notice = " ".join([tr.plain(HANDLED_BY, agency=region.agency_label(result.agency, tr.lang)) + ".",
                       tr.plain(RESPONSE_TARGET, target=_minutes(tr, result.response_minutes)) + ".",
                       tr.plain(DO_NOT_CONFRONT)])
    return {"service_request_id": result.ticket, "service_notice": notice, "account_id": None}
