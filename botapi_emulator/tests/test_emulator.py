"""The Bot API emulator, driven by a real aiogram Bot over HTTP."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiohttp import ClientSession, web

from botapi_emulator import BotAPIEmulator, VirtualClock

TOKEN = "123456:TEST-TOKEN"
USER = 1001


class LocalSession(AiohttpSession):
    async def close(self) -> None:
        # aiogram waits 250 ms for TLS connections to drain; plain HTTP on 127.0.0.1 has none.
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(emu: BotAPIEmulator, token: str = TOKEN) -> Bot:
    session = LocalSession(api=TelegramAPIServer.from_base(emu.base_url))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=label.lower())]
                         for label in labels]  # fmt: skip
    )


@pytest.fixture
async def emu():
    # Virtual time and a generous per-chat burst: these tests are about content rules, and the
    # rate-limit tests build their own emulator.
    async with BotAPIEmulator(clock=VirtualClock(), per_chat_burst=1000, per_bot_burst=1000) as emulator:
        emulator.add_bot(TOKEN, "lapor_test_bot")
        yield emulator


@pytest.fixture
async def bot(emu):
    bot = make_bot(emu)
    yield bot
    await bot.session.close()


@pytest.fixture
def user(emu):
    user = emu.add_user(USER, first_name="Siti")
    user.send_command("/start")  # the private chat exists from here on
    return user


async def test_send_message_reaches_the_user(bot, user):
    sent = await bot.send_message(USER, "<b>Halo</b> Siti &amp; kawan", reply_markup=keyboard("Lapor"))
    assert sent.text == "Halo Siti & kawan"
    assert sent.entities[0].type == "bold"

    message = await user.next_message()
    assert message.message_id == sent.message_id
    assert message.html == "<b>Halo</b> Siti &amp; kawan"
    assert message.buttons == [["Lapor"]]
    assert message.button_data == {"Lapor": "lapor"}
    assert "BOT: Halo Siti & kawan\n  [Lapor]" in user.transcript()


async def test_raw_http_encodings_and_errors(emu, user):
    stranger = make_bot(emu, "999:NOPE")
    with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
        await stranger.get_me()
    await stranger.session.close()

    api = f"{emu.base_url}/bot{TOKEN}"
    async with ClientSession() as http:
        async with http.post(f"{api}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404,
                                         "description": "Not Found: method not found"}  # fmt: skip
        async with http.get(f"{api}/GETME") as resp:  # method names are case-insensitive
            assert (await resp.json())["result"]["username"] == "lapor_test_bot"
        markup = {"inline_keyboard": [[{"text": "Ya", "callback_data": "ya"}]]}
        async with http.post(f"{api}/sendMessage",
                             json={"chat_id": USER, "text": "json", "reply_markup": markup}) as resp:
            assert (await resp.json())["result"]["reply_markup"] == markup
        async with http.post(f"{api}/sendMessage?chat_id={USER}", data={"text": "form"}) as resp:
            assert (await resp.json())["result"]["text"] == "form"


async def test_text_length_is_counted_after_parsing(bot, user):
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(USER, "a" * 4097)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
        await bot.send_message(USER, "<b> </b>")


async def test_caption_limit(bot, user):
    photo = BufferedInputFile(b"jpeg" * 10, "foto.jpg")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await bot.send_photo(USER, photo, caption="x" * 1025)
    sent = await bot.send_photo(USER, photo, caption="<i>" + "x" * 1024 + "</i>")
    assert len(sent.caption) == 1024


async def test_callback_data_is_limited_in_bytes(bot, user):
    ok = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data="é" * 32)]])
    await bot.send_message(USER, "64 bytes", reply_markup=ok)
    too_long = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="é" * 32 + "a")]]  # 33 chars, 65 bytes
    )
    with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "65 bytes", reply_markup=too_long)
    no_action = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x")]])
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed in the inline keyboard"):
        await bot.send_message(USER, "text only", reply_markup=no_action)


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("baris<br>baru", 'Unsupported start tag "br" at byte offset 5'),
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("umur < 18", 'Unsupported start tag "" at byte offset 5'),
        ("Toko A&B", 'Character "&" at byte offset 6 must be escaped as "&amp;"'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_bad_html_is_rejected(bot, user, html, detail):
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.send_message(USER, html)
    assert caught.value.message.startswith("Bad Request: can't parse entities: ")
    assert detail in caught.value.message


async def test_allowed_html(bot, user):
    html = (
        '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike>'
        '<del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="https://example.org/?a=1&amp;b=2">link</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre><blockquote expandable>kutip</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> 3 &gt; 2 &quot;&#128512;'
    )
    sent = await bot.send_message(USER, html)
    assert sent.text.endswith('👍 3 > 2 "😀')
    pre = next(e for e in sent.entities if e.type == "pre")
    assert pre.language == "python"


async def test_unknown_chat_and_uninitiated_user(emu, bot):
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(424242, "halo")
    emu.add_user(2002)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot can't initiate conversation with a user"):
        await bot.send_message(2002, "halo")


async def test_blocked_user(emu, bot, user):
    user.block()
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(USER, "halo")
    updates = await bot.get_updates()
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"
    user.unblock()
    await bot.send_message(USER, "halo lagi")


async def test_location_rules(bot, user):
    sent = await bot.send_location(USER, latitude=-6.2, longitude=106.8)
    assert sent.location.latitude == -6.2
    with pytest.raises(TelegramBadRequest, match="latitude"):
        await bot.send_location(USER, latitude=91, longitude=0)
    with pytest.raises(TelegramBadRequest, match="longitude"):
        await bot.send_location(USER, latitude=0, longitude=-181)
    venue = await bot.send_venue(USER, latitude=-6.2, longitude=106.8, title="Balai", address="Jl. Mawar")
    assert venue.venue.title == "Balai" and venue.location is not None


async def test_edits(bot, user):
    sent = await bot.send_message(USER, "Langkah 1", reply_markup=keyboard("Lanjut"))
    message = await user.next_message()

    await bot.edit_message_text("Langkah <b>2</b>", chat_id=USER, message_id=sent.message_id,
                                reply_markup=keyboard("Lanjut"))  # fmt: skip
    assert (await user.next_edit()) is message
    assert user.last_message.text == "Langkah 2" and message.edited

    with pytest.raises(TelegramBadRequest, match="Bad Request: message is not modified: specified new"):
        await bot.edit_message_text("Langkah <b>2</b>", chat_id=USER, message_id=sent.message_id,
                                    reply_markup=keyboard("Lanjut"))  # fmt: skip
    # Same text without reply_markup is a change: Telegram removes the keyboard.
    await bot.edit_message_text("Langkah <b>2</b>", chat_id=USER, message_id=sent.message_id)
    assert message.buttons == []
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)

    await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("A"))
    assert message.buttons == [["A"]]
    await bot.delete_message(USER, sent.message_id)
    assert message.deleted
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=sent.message_id)


async def test_not_modified_as_telegram_answers_it(emu, bot, user):
    """An edit into what the message shows is refused, however it is asked for: the same text
    written otherwise, a keyboard removed that is already gone, an empty keyboard for none."""
    sent = await bot.send_message(USER, "<b>Halo</b> &amp; selamat", reply_markup=keyboard("Lanjut"))
    await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=None)
    for again in (
        bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=None),
        bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id,
                                      reply_markup=InlineKeyboardMarkup(inline_keyboard=[[]])),
        bot.edit_message_text("<strong>Halo</strong> &amp; selamat", chat_id=USER, message_id=sent.message_id),
    ):
        with pytest.raises(TelegramBadRequest) as refused:
            await again
        assert refused.value.message == (
            "Bad Request: message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message")
    assert [call.status for call in emu.errors("message is not modified")] == [400, 400, 400]
    # A change of the keyboard alone, or of the text alone, is a change.
    await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("A"))
    await bot.edit_message_text("<b>Halo</b> &amp; selamat", chat_id=USER, message_id=sent.message_id,
                                reply_markup=keyboard("B"))
    await bot.edit_message_text("<i>Halo</i> &amp; selamat", chat_id=USER, message_id=sent.message_id,
                                reply_markup=keyboard("B"))


async def test_a_stale_press_comes_as_an_inaccessible_message(bot, user):
    sent = await bot.send_message(USER, "Nilai layanan kami", reply_markup=keyboard("Bagus", "Kurang"))
    message = await user.next_message()
    user.click("Bagus", message=message, stale=True)
    update = (await bot.get_updates())[-1]
    pressed = update.callback_query.message
    assert not isinstance(pressed, Message) and pressed.message_id == sent.message_id
    assert pressed.chat.id == USER and pressed.date == 0
    # The bot cannot edit it any more; it can still write to the chat. Every later press on it
    # comes the same way.
    with pytest.raises(TelegramBadRequest, match="Bad Request: message can't be edited"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=None)
    await bot.send_message(USER, "Terima kasih")
    user.click("Kurang", message=message)
    later = (await bot.get_updates(offset=update.update_id + 1))[-1].callback_query.message
    assert not isinstance(later, Message)
    # A deleted message's buttons can be pressed only as such a press (a client still showing it).
    other = await bot.send_message(USER, "Pilih", reply_markup=keyboard("Ya"))
    await bot.delete_message(USER, other.message_id)
    with pytest.raises(AssertionError, match="was deleted"):
        user.click("Ya", message=other.message_id)
    user.click("Ya", message=other.message_id, stale=True)


async def test_callback_queries(bot, user):
    await bot.send_message(USER, "Pilih kategori", reply_markup=keyboard("Anak jalanan", "Pengemis"))
    with pytest.raises(AssertionError, match=r"no button 'Gelandangan'.*\[\['Anak jalanan'\], \['Pengemis'\]\]"):
        user.click("Gelandangan")
    query = user.click("Pengemis")
    updates = await bot.get_updates()
    callback = updates[-1].callback_query
    assert callback.data == "pengemis" and callback.id == query.id
    assert callback.message.text == "Pilih kategori"

    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await callback.answer("x" * 201)
    await bot.answer_callback_query(callback.id, text="Tercatat")
    assert query.answered and user.callback_answers == ["Tercatat"]
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired"):
        await bot.answer_callback_query(callback.id)

    forged = user.click_data("admin:hapus_semua")
    assert (await bot.get_updates(offset=updates[-1].update_id + 1))[-1].callback_query.data == forged.data


async def test_click_needs_a_keyboard(user):
    with pytest.raises(AssertionError, match="no bot message with an inline keyboard"):
        user.click("Lapor")


async def test_reply_keyboard_press(bot, user):
    markup = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="📍 Kirim lokasi", request_location=True)], [KeyboardButton(text="Batal")]],
        resize_keyboard=True,
    )
    await bot.send_message(USER, "Kirim lokasi kejadian", reply_markup=markup)
    assert user.reply_keyboard == [["📍 Kirim lokasi"], ["Batal"]]
    with pytest.raises(AssertionError, match="asks for a location"):
        user.press("Kirim lokasi")
    sent = user.press("Kirim lokasi", location=(-6.9, 107.6))
    assert sent.location == {"latitude": -6.9, "longitude": 107.6}
    user.press("Batal")
    updates = await bot.get_updates()
    assert updates[-2].message.location.latitude == -6.9 and updates[-1].message.text == "Batal"

    await bot.send_message(USER, "Dibatalkan", reply_markup=ReplyKeyboardRemove())
    assert user.reply_keyboard is None
    with pytest.raises(AssertionError, match="no reply keyboard"):
        user.press("Batal")


async def test_user_media_and_files(bot, user):
    file_id = user.send_photo(caption="di depan pasar")
    user.send_document("laporan.pdf")
    updates = await bot.get_updates()
    photo_message = updates[-2].message
    assert [size.file_id for size in photo_message.photo][-1] == file_id
    assert len(photo_message.photo) == 3 and photo_message.caption == "di depan pasar"
    assert updates[-1].message.document.file_name == "laporan.pdf"

    file = await bot.get_file(file_id)
    downloaded = await bot.download_file(file.file_path)
    assert downloaded.read().startswith(b"\xff\xd8")
    resent = await bot.send_photo(USER, file_id)
    assert resent.photo[-1].file_id == file_id
    copied = await bot.copy_message(USER, USER, resent.message_id, caption="salinan")
    assert user.last_message.message_id == copied.message_id
    assert user.last_message.photo[-1] == file_id and user.last_message.caption == "salinan"

    album = await bot.send_media_group(USER, [
        InputMediaPhoto(media=BufferedInputFile(b"one", "1.jpg"), caption="<b>1</b>"),
        InputMediaPhoto(media=file_id),
    ])  # fmt: skip
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    with pytest.raises(TelegramBadRequest, match="2-10 items"):
        await bot.send_media_group(USER, [InputMediaPhoto(media=file_id)])


async def test_commands_and_chat(bot, user):
    from aiogram.types import BotCommand

    await bot.set_my_commands([BotCommand(command="lapor", description="Buat laporan")])
    assert [c.command for c in await bot.get_my_commands()] == ["lapor"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Lapor Baru", description="x")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    chat = await bot.get_chat(USER)
    assert chat.first_name == "Siti"
    await bot.send_chat_action(USER, "typing")
    assert user.chat_actions == ["typing"]


async def test_get_updates_offset_confirm_and_redeliver(emu, bot):
    user = emu.add_user(USER)
    for text in ("satu", "dua", "tiga"):
        user.send_text(text)
    updates = await bot.get_updates()
    assert [u.message.text for u in updates] == ["satu", "dua", "tiga"]
    assert await bot.get_updates(limit=1) == updates[:1]  # nothing confirmed without an offset

    last = updates[-1].update_id
    assert await bot.get_updates(offset=last + 1) == []
    assert emu.pending_updates(TOKEN) == []

    # A live poller's offset is already past the redelivered update; it still gets it, once.
    emu.redeliver(TOKEN, updates[1].update_id)
    again = await bot.get_updates(offset=last + 1)
    assert [(u.update_id, u.message.text) for u in again] == [(updates[1].update_id, "dua")]
    assert await bot.get_updates(offset=updates[1].update_id + 1) == []
    with pytest.raises(KeyError):
        emu.redeliver(TOKEN, 999)


async def test_long_poll_wakes_on_new_update(emu, bot):
    user = emu.add_user(USER)
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.05)
    user.send_text("halo")
    updates = await poll
    assert updates[0].message.text == "halo"
    assert time.monotonic() - started < 2


async def test_second_poller_and_webhook_conflicts(emu, bot):
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await emu.wait_for(lambda: emu.bot(TOKEN).poll_generation == 1, timeout=5)  # first is waiting
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    assert await second == []

    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    with pytest.raises(TelegramBadRequest, match="secret token contains unallowed characters"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="bad token!")
    await bot.delete_webhook()
    assert await bot.get_updates() == []


async def test_webhook_delivery(emu, bot):
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=500 if len(received) == 1 else 200)  # first try fails

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="rahasia_1")
        emu.add_user(USER).send_text("lewat webhook")
        await emu.wait_for(lambda: len(received) == 2 and not emu.pending_updates(TOKEN), timeout=5)
        assert [secret for secret, _ in received] == ["rahasia_1", "rahasia_1"]
        assert received[1][1]["message"]["text"] == "lewat webhook"
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0 and "500" in info.last_error_message
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_per_chat_burst_then_retry_after():
    clock = VirtualClock()
    async with BotAPIEmulator(clock=clock) as emu:  # 1 msg/s per chat, bursts of 3
        emu.add_bot(TOKEN, "lapor_test_bot")
        emu.add_user(USER).send_text("/start")
        bot = make_bot(emu)
        for n in range(3):
            await bot.send_message(USER, f"pesan {n}")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(USER, "kebanyakan")
        assert caught.value.retry_after == 1
        assert "Too Many Requests: retry after 1" in caught.value.message
        await bot.send_chat_action(USER, "typing")  # not a new message: not limited
        with pytest.raises(TelegramRetryAfter):  # the rejected call consumed nothing, still empty
            await bot.send_message(USER, "lagi")
        clock.advance(1.0)
        await bot.send_message(USER, "sesudah menunggu")
        assert emu.stats["rate_limited"] == 2 and emu.stats["delivered"] == 4
        await bot.session.close()


async def test_think_time_refills_buckets():
    clock = VirtualClock()
    async with BotAPIEmulator(clock=clock, think_time=2.0) as emu:
        emu.add_bot(TOKEN, "lapor_test_bot")
        user = emu.add_user(USER)
        bot = make_bot(emu)
        for n in range(6):  # each user action lets 2 virtual seconds pass
            user.send_text(f"pesan {n}")
            await bot.send_message(USER, "diterima")
        assert emu.count_calls("sendMessage", status=429) == 0
        await bot.session.close()


async def test_per_bot_limit_across_chats():
    async with BotAPIEmulator(clock=VirtualClock(), per_bot_rate=5, per_bot_burst=5) as emu:
        emu.add_bot(TOKEN, "lapor_test_bot")
        bot = make_bot(emu)
        for user_id in range(1, 7):
            emu.add_user(user_id).send_text("/start")
        for user_id in range(1, 6):
            await bot.send_message(user_id, "siaran")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(6, "siaran")
        await bot.session.close()


async def test_group_limit_20_per_minute():
    clock = VirtualClock()
    async with BotAPIEmulator(clock=clock, per_chat_burst=100, per_chat_rate=100) as emu:
        emu.add_bot(TOKEN, "lapor_test_bot")
        emu.add_group(-100123, "Petugas Dinsos", members=[USER], bots=[TOKEN])
        bot = make_bot(emu)
        for n in range(20):
            await bot.send_message(-100123, f"laporan {n}")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(-100123, "laporan 21")
        assert caught.value.retry_after == 3  # one token every 60/20 s
        clock.advance(3)
        await bot.send_message(-100123, "laporan 21")
        emu.add_group(-100999, "Bukan grup bot", members=[USER], bots=[])
        with pytest.raises(TelegramForbiddenError, match="bot is not a member"):
            await bot.send_message(-100999, "halo")
        await bot.session.close()


async def test_injected_faults(emu, bot, user):
    emu.inject_fault("sendMessage", status=500)
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(USER, "satu")
    emu.inject_fault("sendMessage", status=502, chat_id=USER)
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(USER, "dua")
    emu.inject_fault(status=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "tiga")
    assert caught.value.retry_after == 7
    await bot.send_message(USER, "empat")  # faults are used up

    emu.inject_disconnect("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "hilang")
    emu.inject_disconnect("sendMessage", after_processing=True)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "terkirim tapi jawaban hilang")
    assert user.last_message.text == "terkirim tapi jawaban hilang"

    emu.inject_delay("getMe", 0.2)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.2

    statuses = [call.status for call in emu.calls if call.method == "sendMessage"]
    assert statuses == [500, 502, 429, 200, 0, 0]
    assert [m.text for m in user.messages] == ["empat", "terkirim tapi jawaban hilang"]



async def test_random_faults_at_rates_are_seeded_and_cleared(emu, bot, user):
    async def outcomes(seed: int) -> list[str]:
        emu.clear_faults()
        faults = emu.inject_random_faults(seed=seed, error_rate=0.2, rate_limit_rate=0.1, retry_after=3,
                                          disconnect_rate=0.1, after_processing=0.5)
        seen = []
        for i in range(60):
            emu.clock.advance(1)  # a 429 holds the chat for retry_after seconds of the emulator's clock
            try:
                await bot.send_message(USER, f"pesan {i}")
                seen.append("ok")
            except TelegramServerError:
                seen.append("5xx")
            except TelegramRetryAfter as exc:
                assert 1 <= exc.retry_after <= 3
                seen.append("429")
            except TelegramNetworkError:
                seen.append("drop")
        assert sum(faults.injected.values()) == sum(1 for s in seen if s != "ok")
        return seen

    first = await outcomes(7)
    assert {"ok", "5xx", "429", "drop"} <= set(first)
    # A 429 holds the chat: the calls within retry_after seconds are refused too.
    assert any(a == b == "429" for a, b in itertools.pairwise(first))
    assert await outcomes(7) == first  # the same seed, the same faults
    emu.clear_faults()
    await bot.send_message(USER, "tanpa gangguan")
    assert user.last_message.text == "tanpa gangguan"
    emu.inject_random_faults(seed=1, error_rate=1.0, methods=["sendPhoto"])
    await bot.send_message(USER, "sendMessage is not affected")
    await bot.get_me()

async def test_dispatcher_polling_answers_start(emu):
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(f"Halo <b>{message.from_user.first_name}</b>!", reply_markup=keyboard("Lapor"))

    @router.callback_query(F.data == "lapor")
    async def report(query: CallbackQuery) -> None:
        await query.answer("Baik")
        await query.message.edit_text("Silakan kirim lokasi")

    dp = Dispatcher()
    dp.include_router(router)
    bot = make_bot(emu)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=5))
    try:
        user = emu.add_user(USER, first_name="Budi")
        user.send_command("/start lapor")
        greeting = await user.next_message()
        assert greeting.text == "Halo Budi!" and greeting.buttons == [["Lapor"]]

        user.click("Lapor")
        edited = await user.next_edit()
        assert edited.text == "Silakan kirim lokasi" and edited.buttons == []
        await user.wait_until(lambda: user.callback_answers == ["Baik"])
    finally:
        await dp.stop_polling()
        await polling
    assert user.transcript().splitlines() == [
        "YOU: /start lapor",
        "BOT: Silakan kirim lokasi (edited)",  # messages show their latest version
        "YOU: [tap Lapor]",
        "  (toast: Baik)",
    ]


async def test_next_message_timeout_shows_transcript(emu):
    user = emu.add_user(USER)
    user.send_text("ada orang?")
    with pytest.raises(AssertionError, match="YOU: ada orang"):
        await user.next_message(timeout=0.05)
