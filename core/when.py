"""A moment as a person says it, in the reader's language and the region's time: "hari ini pukul
21.14", "kemarin pukul 07.05", "3 Desember pukul 21.14" (Indonesian writes hours with a dot),
never "02-12-2026 23:59"."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from core.i18n import N_, Translator

MONTHS = {
    "id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}
TODAY, YESTERDAY, ON_DAY = N_("today at {time}"), N_("yesterday at {time}"), N_("{day} {month} at {time}")


def clock_time(local: datetime, lang: str) -> str:
    return local.strftime("%H.%M" if lang == "id" else "%H:%M")


def moment(tr: Translator, at: datetime, tz: tzinfo, now: datetime | None = None) -> str:
    """`at` in words. With `now` (a text read at once, like the review card): "today"/"yesterday"
    where they apply; without (a message read later, like an officer's alert): always the date."""
    local = at.astimezone(tz)
    time = clock_time(local, tr.lang)
    if now is not None:
        today = now.astimezone(tz).date()
        if local.date() == today:
            return tr.plain(TODAY).format(time=time)
        if local.date() == today - timedelta(days=1):
            return tr.plain(YESTERDAY).format(time=time)
    month = MONTHS.get(tr.lang, MONTHS["en"])[local.month - 1]
    return tr.plain(ON_DAY).format(day=local.day, month=month, time=time)


def day_start(day: date, tz: tzinfo) -> datetime:
    """The first moment of a local day, in UTC: where a day, a week or a date range begins."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
