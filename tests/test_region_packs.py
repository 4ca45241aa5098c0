"""Real places through the real bot, with the bundled Kabupaten Pasuruan pack: a pin is placed in its
desa (no kecamatan question), a pin just past the border snaps, a pin in Kota Pasuruan is outside
and the resident chooses a kecamatan by hand, a typed kecamatan or desa is found however it is
spelt. Reports keep the Kemendagri codes; reports made before the pack get them at start."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.area_codes import fill_area_codes
from core.desa_placement import PackPlacer
from db.models import Report
from tests.flows import english
from tests.harness import make_harness
from tests.test_desa_placement import _just_outside

BANGIL_ALUN_ALUN = (-7.5995, 112.7790)  # Desa Pogar, Kec. Bangil (35.14.14.1003)
KOTA_PASURUAN = (-7.6453, 112.9075)  # Kota Pasuruan (35.75): a region of its own


@pytest.fixture
async def hp(tmp_path):
    """The app with the bundled default region (Kabupaten Pasuruan and its pack)."""
    harness = await make_harness(tmp_path, region_path=None)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.app.stop()
        await harness.emu.stop()


async def _to_location(r) -> None:
    await english(r)
    await r.press("📝 Make a report")
    await r.tap("Beggars")


async def _report_at_bangil(r) -> None:
    """A whole report by a pin in Desa Pogar, Kec. Bangil, telling more."""
    await _to_location(r)
    await r.pin(*BANGIL_ALUN_ALUN)
    await r.tap("📝 Tell more")
    await r.tap("Skip")
    await _finish(r)


async def _finish(r, description: str = "An old man begging") -> str:
    await r.tap("2-3 people")
    await r.tap("Adults")
    await r.say(description)
    await r.tap("Right now")
    await r.tap("Skip, no photos")
    await r.tap("No")
    await r.tap("Individual")
    await r.tap("Stay anonymous")
    review = r.last.text
    await r.tap("Send report")
    return review


async def test_a_pin_in_bangil_is_placed_in_its_desa_and_the_officer_sees_it(hp):
    officer = await hp.officer(9101, "Budi", agency="satpolpp")
    r = hp.resident()
    await _to_location(r)
    pace = await r.pin(*BANGIL_ALUN_ALUN)
    # No kecamatan question: the pin named both, then "send now or tell more".
    assert r.texts()[-2] == "📍 Location received: Desa/Kel. Pogar, Kec. Bangil."
    assert pace.buttons[0] == ["📨 Send now"]
    await r.tap("📝 Tell more")
    await r.tap("Skip")
    review = await _finish(r)
    assert "Kec. Bangil" in review and "Desa/Kel. Pogar" in review
    report = await hp.scalar(select(Report))
    assert (report.kecamatan, report.desa) == ("Bangil", "Pogar")
    assert (report.kecamatan_code, report.desa_code) == ("35.14.14", "35.14.14.1003")
    alert = next(m for m in officer.user.messages if report.ticket in (m.text or m.caption or ""))
    assert "Kec. Bangil" in (alert.text or alert.caption) and "Desa/Kel. Pogar" in (alert.text or alert.caption)


async def test_a_pin_just_past_the_border_snaps_to_the_nearest_desa(hp):
    placer = hp.region.placer
    assert isinstance(placer, PackPlacer)
    lat, lon, nearest = _just_outside(placer.desa, 100)
    kecamatan, desa = hp.region.desa_by_code(nearest)
    r = hp.resident()
    await _to_location(r)
    await r.pin(lat, lon)
    assert r.texts()[-2] == (f"📍 Location received: Desa/Kel. {desa}, Kec. {kecamatan.name}. "
                             "(The pin was just outside the boundary; this is the nearest desa.)")


async def test_a_pin_in_kota_pasuruan_is_outside_and_a_kecamatan_is_chosen_by_hand(hp):
    r = hp.resident()
    await _to_location(r)
    outside = await r.pin(*KOTA_PASURUAN)
    assert outside.text == ("📍 This place is outside Kabupaten Pasuruan. This service takes reports in Kabupaten "
                            "Pasuruan. If the place is in Kabupaten Pasuruan, choose its kecamatan below, or send "
                            "the location again.")
    assert ["Bangil", "Beji", "Gempol"] in outside.buttons
    desa = await r.tap("Bangil")
    assert desa.text == "Which desa/kelurahan? Choose it, or type its name."
    pace = await r.say("kiduldalem")  # typed, in lower case
    assert any("✅ Desa/Kel.: Kiduldalem" in t for t in r.texts()[-3:])
    assert pace.buttons[0] == ["📨 Send now"]  # with a pin, no landmark is needed
    await r.tap("📝 Tell more")
    await r.tap("Skip")
    await _finish(r)
    report = await hp.scalar(select(Report))
    assert report.outside_region and (report.kecamatan, report.desa_code) == ("Bangil", "35.14.14.1002")


async def test_a_pin_in_another_bundled_region_says_where_it_seems_to_be(hp):
    r = hp.resident()
    await _to_location(r)
    outside = await r.pin(-7.16, 113.48)
    assert "outside Kabupaten Pasuruan. It seems to be in Kabupaten Pamekasan." in outside.text


async def test_a_typed_kecamatan_is_found_however_it_is_spelt(hp):
    r = hp.resident()
    await _to_location(r)
    await r.press("🗺️ Choose kecamatan from a list")
    desa = await r.say("gondang wetan")
    assert any("✅ Kecamatan: Gondangwetan" in t for t in r.texts()[-3:])
    assert desa.text == "Which desa/kelurahan? Choose it, or type its name."
    # 20 desa: a page of 12, then the next.
    assert desa.buttons[0] == ["Bajangan", "Bayeman"] and ["Next ▶️"] in desa.buttons
    # The kelurahan of the same name is written "Gondang Wetan" by the same decree: typed either way.
    await r.say("gondangwetan")
    assert any("✅ Desa/Kel.: Gondang Wetan" in t for t in r.texts()[-3:])
    await r.say("Near the market gate")
    await r.tap("📝 Tell more")
    await _finish(r)
    report = await hp.scalar(select(Report))
    assert (report.kecamatan, report.desa, report.kecamatan_code, report.desa_code) == (
        "Gondangwetan", "Gondang Wetan", "35.14.18", "35.14.18.1016")


async def test_a_typed_name_that_fits_several_offers_them(hp):
    r = hp.resident()
    await _to_location(r)
    await r.press("🗺️ Choose kecamatan from a list")
    choices = await r.say("purwo")
    assert choices.text == "Did you mean one of these? Choose the kecamatan:"
    assert choices.buttons[0] == ["Purwodadi", "Purwosari"] and ["🗺️ All kecamatan"] in choices.buttons
    unknown = await r.say("Sidoarjo")
    assert unknown.text.startswith("I do not know a kecamatan called “Sidoarjo” in Kabupaten Pasuruan.")
    await r.tap("Purwosari")
    assert hp.region.kecamatan_by_name("Purwosari").code == "35.14.08"


async def test_reports_from_before_the_pack_get_their_codes(hp):
    r = hp.resident()
    await _report_at_bangil(r)
    async with hp.app.sessionmaker() as session:  # as a report made before the pack was
        report = (await session.execute(select(Report))).scalar_one()
        report.kecamatan_code = report.desa_code = report.desa = None
        await session.commit()
        assert await fill_area_codes(session, hp.region) == 1
        assert await fill_area_codes(session, hp.region) == 0  # idempotent
    report = await hp.scalar(select(Report))
    assert (report.kecamatan, report.desa, report.desa_code) == ("Bangil", "Pogar", "35.14.14.1003")


async def test_an_area_officer_may_cover_single_desa(hp):
    pogar = await hp.officer(9201, "Wati", areas=["Bangil/pogar"])  # as `lapor officer add --areas` takes it
    kiduldalem = await hp.officer(9202, "Joko", areas=["35.14.14.1002"])
    async with hp.app.sessionmaker() as session:
        from core.officers import find_officer
        assert (await find_officer(session, 9201)).areas == ("35.14.14.1003",)
    r = hp.resident()
    await _report_at_bangil(r)
    report = await hp.scalar(select(Report))
    # The officer of Desa Pogar is alerted; the one of the neighbouring desa neither alerted nor shown it.
    assert any(report.ticket in (m.text or m.caption or "") for m in pogar.user.messages)
    assert not any(report.ticket in (m.text or m.caption or "") for m in kiduldalem.user.messages)
    assert [f"{report.ticket} · Beggars · Bangil, Pogar · baru"] in (await pogar.say("/antrian")).buttons
    queue = await kiduldalem.say("/antrian")
    assert not any(report.ticket in label for row in queue.buttons for label in row)


async def test_the_queue_filters_by_kecamatan_then_desa(hp):
    boss = await hp.officer(9301, "Kasatpol", role="supervisor")
    r = hp.resident()
    await _report_at_bangil(r)
    ticket = (await hp.scalar(select(Report))).ticket
    line = [f"{ticket} · Beggars · Bangil, Pogar · baru"]
    queue = await boss.say("/antrian")
    assert line in queue.buttons and ["📍 All kecamatan", "🏷️ All open states"] in queue.buttons
    await boss.tap("📍 All kecamatan")
    queue = await boss.tap("Bangil")
    assert line in queue.buttons and ["📍 Bangil", "🏘️ All desa", "🏷️ All open states"] in queue.buttons
    choices = await boss.tap("🏘️ All desa")
    assert ["All desa", "Bendomungal", "Dermo"] in choices.buttons  # Kec. Bangil's desa, alphabetical
    queue = await boss.tap("Pogar")
    assert line in queue.buttons
    await boss.tap("🏘️ Pogar")
    empty = await boss.tap("Kiduldalem")
    assert empty.text == "📭 No open reports for Satpol PP with these filters."


async def test_summaries_exports_and_the_map_count_by_kecamatan_and_desa(hp):
    import io

    import matplotlib.pyplot as plt
    from openpyxl import load_workbook

    from core.charts import _choropleth
    from core.exports import workbook
    from core.i18n import translator
    from core.summary import Period, compute, render, window

    r = hp.resident()
    await _report_at_bangil(r)
    win = window(hp.region, Period.DAILY, hp.clock.now().astimezone(hp.region.tz).date())
    async with hp.app.sessionmaker() as session:
        text = render(await compute(session, hp.region, win), hp.region, translator("en"))
        book = load_workbook(io.BytesIO(await workbook(session, hp.region, win.start, win.end)))
    assert "<b>By kecamatan</b>\nBangil 1" in text and "<b>By desa/kelurahan</b>\nPogar (Bangil) 1" in text
    rows = list(book["Per wilayah"].values)
    assert rows[0][:5] == ("Kode kecamatan", "Kecamatan", "Kode desa/kelurahan", "Desa/Kelurahan", "Jumlah laporan")
    assert rows[1][:5] == ("35.14.14", "Bangil", "35.14.14.1003", "Pogar", 1)
    assert rows[1][5 + [c.code for c in hp.region.categories].index("pengemis")] == 1
    laporan = list(book["Laporan"].values)
    assert laporan[1][8:10] == ("35.14.14", "35.14.14.1003")

    # The map: Kabupaten Pasuruan by kecamatan; only Bangil coloured, and named with its count.
    from collections import Counter
    fig, ax = plt.subplots()
    _choropleth(fig, ax, hp.region.placer, Counter({"35.14.14": 1, "35.14.14.1003": 1}), "en")
    grey = [p for p in ax.patches if p.get_facecolor()[:3] == pytest.approx((0.941, 0.941, 0.941), abs=0.01)]
    assert len(ax.patches) - len(grey) == 1 and len(grey) >= 23
    assert [t.get_text() for t in ax.texts] == ["Bangil\n1"] and ax.get_title() == "Reports per kecamatan"
    plt.close(fig)


async def test_a_kecamatan_typed_instead_of_a_pin_is_taken(hp):
    r = hp.resident()
    await _to_location(r)
    desa = await r.say("bangil")
    assert any("✅ Kecamatan: Bangil" in t for t in r.texts()[-3:])
    assert desa.text == "Which desa/kelurahan? Choose it, or type its name."
    # Kec. Bangil has 16 desa/kelurahan: a page of 12 and a "Next" button; typed names work too.
    assert ["Next ▶️"] in desa.buttons
    landmark = await r.say("Kel. Pogar")
    assert "Type a landmark" in landmark.text  # no pin: a landmark is needed
