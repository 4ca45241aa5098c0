"""Local Telegram Bot API emulator: bots connect over HTTP, tests act as users.

    async with BotAPIEmulator() as emu:
        emu.add_bot("123456:TEST", "lapor_bot")
        user = emu.add_user(1001)
        bot = Bot("123456:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
"""

from .html_check import HTMLParseError, parse_html
from .limits import MonotonicClock, VirtualClock
from .models import ApiError, CallbackQuery, CallRecord, Chat, Message
from .server import BotAPIEmulator, RandomFaults
from .users import EmulatedUser

__all__ = [
    "ApiError",
    "BotAPIEmulator",
    "CallRecord",
    "CallbackQuery",
    "Chat",
    "EmulatedUser",
    "HTMLParseError",
    "Message",
    "MonotonicClock",
    "RandomFaults",
    "VirtualClock",
    "parse_html",
]
