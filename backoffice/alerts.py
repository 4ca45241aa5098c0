"""A report as an officer reads it in the backoffice bot: the alert text, from the view the
policy built for them (core.report_view), so nothing reaches a chat the policy did not clear."""
from __future__ import annotations

import html

from core.draft import (
    AGE_GROUP_LABELS,
    PEOPLE_COUNT_LABELS,
    REPORTER_TYPE_LABELS,
    AgeGroup,
    PeopleCount,
    ReporterType,
)
from core.i18n import Translator
from core.region import RegionConfig
from core.report_view import ReportView
from core.when import moment


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def alert_text(view: ReportView, region: RegionConfig, tr: Translator) -> str:
    category = region.category(view.category)
    tz = region.tz
    place = ", ".join(p for p in [
        f"Kec. {view.kecamatan}" if view.kecamatan else "",
        f"Desa/Kel. {view.desa}" if view.desa else "",
        tr.plain("outside the region") if view.outside_region else "",
    ] if p)
    lines = [
        ("🚨 " if view.urgent else "🆕 ") + f"<b>{esc(view.ticket)}</b> · {esc(category.label.get(tr.lang))}",
        tr("<b>Place:</b> {v}", v=place or "-"),
    ]
    if view.landmark:
        lines.append(tr("<b>Landmark:</b> {v}", v=view.landmark))
    lines += [
        tr("<b>Seen:</b> {v}", v=moment(tr, view.seen_at, tz)),
        tr("<b>People:</b> {count}, {age}",
           count=tr.plain(PEOPLE_COUNT_LABELS[PeopleCount(view.people_count)]) if view.people_count else "-",
           age=tr.plain(AGE_GROUP_LABELS[AgeGroup(view.age_group)]) if view.age_group else "-"),
        tr("<b>Description:</b> {v}", v=(view.description or "-")[:1500]),
        tr("<b>Respond by:</b> {v}", v=moment(tr, view.response_due_at, tz)),
    ]
    if view.urgent:
        lines.append(tr("⚠️ <b>URGENT:</b> the reporter says someone is in danger now."))
    if view.reporter_name:
        lines.append(tr("<b>Reporter:</b> {name} ({kind}; agreed to be named)", name=view.reporter_name,
                        kind=tr.plain(REPORTER_TYPE_LABELS[ReporterType(view.reporter_type)])))
    if view.nearby_count:
        lines.append(tr("🔁 Earlier open reports nearby: {n} (latest {ticket})", n=view.nearby_count,
                        ticket=view.nearby_ticket))
    if view.holder_name:
        lines.append(tr("👤 Taken by {name} ({state})", name=view.holder_name, state=view.state))
    return "\n".join(lines)
