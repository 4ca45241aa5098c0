"""A report's history as an officer reads it (`/lapor TICKET`): each event in the officer's
language, who did it (a role, and the agency for officers; the reporter is never named) and when,
as a person says it."""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from core.i18n import N_, Translator
from core.region import RegionConfig
from core.when import moment
from db.models import AuditEvent

ACTIONS = {
    "submitted": N_("sent the report"),
    "acknowledged": N_("acknowledged it"),
    "in_progress": N_("went to the place"),
    "closed": N_("closed it"),
    "rejected": N_("rejected it"),
    "handed_over": N_("handed it over"),
    "reassigned": N_("assigned it"),
    "reopened": N_("reopened it"),
    "duplicate": N_("marked it a duplicate"),
    "question_asked": N_("asked the reporter"),
    "question_answered": N_("answered"),
    "note_added": N_("added a note"),
    "info_added": N_("added information"),
    "photo_added": N_("added a photo"),
    "withdrawn": N_("withdrew it"),
    "rated": N_("rated the handling"),
    "anonymised": N_("removed the personal data (retention)"),
    "open311_submitted": N_("passed it on from its channel (Open311)"),
}
ACTORS = {"reporter": N_("Reporter"), "system": N_("System"), "partner": N_("Partner channel")}
OFFICER = N_("Officer of {agency}")


@dataclass(frozen=True)
class HistoryEntry:
    """One event as a person reads it; plain text (each page or message escapes it its own way)."""

    at: datetime
    when: str
    who: str
    what: str
    note: str | None


def history_entries(tr: Translator, region: RegionConfig, events: list[AuditEvent],
                    agencies: dict[int, str]) -> list[HistoryEntry]:
    entries = []
    for e in events:
        if e.actor_type == "officer":
            code = agencies.get(e.actor_id or 0)
            known = code is not None and any(a.code == code for a in region.agencies)
            who = tr.plain(OFFICER, agency=region.agency(code).short.get(tr.lang) if known and code else "-")
        else:
            who = tr.plain(ACTORS.get(e.actor_type, N_("System")))
        what = tr.plain(ACTIONS[e.action]) if e.action in ACTIONS else e.action
        entries.append(HistoryEntry(e.at, moment(tr, e.at, region.tz), who, what, e.note[:300] if e.note else None))
    return entries


def history_lines(tr: Translator, region: RegionConfig, events: list[AuditEvent],
                  agencies: dict[int, str]) -> list[str]:
    """One line per event: "• 3 Desember pukul 21.14 · Petugas Satpol PP: menerima laporan: <note>"."""
    return [f"• {e.when} · {html.escape(e.who)} {html.escape(e.what)}"
            + (f": <i>{html.escape(e.note, quote=False)}</i>" if e.note else "")
            for e in history_entries(tr, region, events, agencies)]
