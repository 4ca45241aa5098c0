"""Kemendagri codes for reports made before the region had a pack: a report with a pin is placed
in its desa; one whose kecamatan was chosen by hand gets that kecamatan's code. Names already
stored stay as they were (they are what the resident and the officers saw); only missing ones are
filled. Idempotent: it touches only reports without codes, so it runs at every start."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.area_names import match_kecamatan
from core.region import RegionConfig
from db.models import Report

BATCH = 500


async def fill_area_codes(session: AsyncSession, region: RegionConfig) -> int:
    """Fills kecamatan_code/desa_code where the pack can tell them; returns how many reports changed."""
    if region.kemendagri_code is None:
        return 0
    changed = 0
    last_id = 0
    while True:
        reports = list((await session.execute(
            select(Report).where(Report.id > last_id, Report.kecamatan_code.is_(None),
                                 or_(Report.latitude.is_not(None), Report.kecamatan.is_not(None)))
            .order_by(Report.id).limit(BATCH))).scalars())
        if not reports:
            break
        last_id = reports[-1].id
        for report in reports:
            if _fill(report, region):
                changed += 1
        await session.commit()
    return changed


def _fill(report: Report, region: RegionConfig) -> bool:
    if report.latitude is not None and report.longitude is not None:
        placement = region.placer.place(report.latitude, report.longitude)
        if placement.desa_code is not None:
            report.desa_code = placement.desa_code
            report.kecamatan_code = placement.desa_code.rsplit(".", 1)[0]
            report.kecamatan = report.kecamatan or placement.kecamatan
            report.desa = report.desa or placement.desa
            return True
    if report.kecamatan:
        matches = match_kecamatan(region, report.kecamatan)
        if len(matches) == 1 and matches[0].code is not None:
            kecamatan = matches[0]
            report.kecamatan_code = kecamatan.code
            code = kecamatan.desa_code(report.desa) if report.desa else None
            report.desa_code = code
            return True
    return False
