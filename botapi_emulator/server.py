"""A local Telegram Bot API server for tests and the terminal demo.

Bots talk to it over real HTTP exactly as they talk to api.telegram.org (aiogram:
``TelegramAPIServer.from_base(emu.base_url)``); tests drive it from the user's side through
``EmulatedUser`` (users.py). It enforces the limits in /work/shared/telegram-rules.md (A, B) with
Telegram's own error texts, and can inject faults for reliability tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from .limits import Clock, MonotonicClock, RateLimiter, VirtualClock
from .methods import METHODS, SENDS_MESSAGE, canonical_name
from .models import (
    ApiError,
    BotState,
    CallbackQuery,
    CallRecord,
    Chat,
    Message,
    StoredFile,
    bad_request,
    forbidden,
    too_many_requests,
)
from .validation import Params, UploadedFile
from .webhook import WebhookDeliverer

if TYPE_CHECKING:
    from .users import EmulatedUser

T = TypeVar("T")

_FAULT_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Fault:
    kind: str  # "error", "delay" or "disconnect"
    method: str | None  # lower-case method name, None = any
    count: int
    chat_id: int | None = None
    status: int = 500
    retry_after: int = 1
    description: str | None = None
    raw_body: str | None = None
    seconds: float = 0.0
    after_processing: bool = False

    def matches(self, method: str, chat_id: int | None) -> bool:
        return (
            self.count > 0
            and self.method in (None, method)
            and (self.chat_id is None or self.chat_id == chat_id)
        )

    def error(self) -> ApiError:
        if self.status == 429:
            error = too_many_requests(self.retry_after)
            if self.description:
                error.description = self.description
            return error
        description = self.description or _FAULT_DESCRIPTIONS.get(self.status, "Injected fault")
        return ApiError(self.status, description)


@dataclass
class RandomFaults:
    """Faults at set rates instead of counts: every matching call draws from a seeded random
    generator, so a run is repeatable for a given seed and order of calls.

    Per call, in this order: while a 429 burst is under way for the (bot, chat), the call gets 429
    with the seconds left; otherwise with `error_rate` a 5xx (one of `error_statuses`); with
    `rate_limit_rate` a 429 burst starts: for `retry_after` seconds (the emulator's clock) every
    call of that bot to that chat gets 429, as Telegram's flood control does, and a client that
    waits retry_after gets through; with `disconnect_rate` the connection is dropped (with
    probability `after_processing` only once the call took effect, so the answer is lost rather
    than the request); independently, with `slow_rate` the answer comes `slow_seconds` late (real
    time).
    """

    seed: int = 0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503, 504)
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    disconnect_rate: float = 0.0
    after_processing: float = 0.5
    slow_rate: float = 0.0
    slow_seconds: float = 0.5
    methods: frozenset[str] | None = None  # lower-case names; None = every method but `exclude`
    exclude: frozenset[str] = frozenset({"getupdates"})
    chat_id: int | None = None
    injected: Counter = field(default_factory=Counter)  # what was injected, by kind

    clock: Clock = field(default_factory=MonotonicClock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._bursts: dict[tuple[int, int | None], float] = {}  # (bot, chat) -> flood control until

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        if method in self.exclude:
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def draw(self, bot_id: int, method: str, chat_id: int | None) -> tuple[float, Fault | None]:
        """(extra delay, the fault for this call or None)."""
        delay = self.slow_seconds if self.slow_rate and self.rng.random() < self.slow_rate else 0.0
        if delay:
            self.injected["slow"] += 1
        scope, now = (bot_id, chat_id), self.clock.monotonic()
        until = self._bursts.get(scope, 0.0)
        if until > now:
            self.injected["429"] += 1
            left = max(1, math.ceil(until - now - 1e-9))
            return delay, Fault("error", method, 1, status=429, retry_after=left)
        roll = self.rng.random()
        if roll < self.error_rate:
            status = self.rng.choice(self.error_statuses)
            self.injected[str(status)] += 1
            return delay, Fault("error", method, 1, status=status)
        roll -= self.error_rate
        if roll < self.rate_limit_rate:
            self._bursts[scope] = now + self.retry_after
            self.injected["429"] += 1
            return delay, Fault("error", method, 1, status=429, retry_after=self.retry_after)
        roll -= self.rate_limit_rate
        if roll < self.disconnect_rate:
            late = self.rng.random() < self.after_processing
            self.injected["disconnect_after" if late else "disconnect"] += 1
            return delay, Fault("disconnect", method, 1, after_processing=late)
        return delay, None


class BotAPIEmulator:
    """The emulated Bot API: state, HTTP front end, fault injection and call statistics."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        think_time: float = 0.0,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = 3,
        per_bot_rate: float = 30.0,
        per_bot_burst: int = 30,
        group_per_minute: int = 20,
        callback_answer_window: float = 15.0,
    ) -> None:
        self.clock: Clock = clock or MonotonicClock()
        self.think_time = think_time
        self.limiter = RateLimiter(
            self.clock,
            per_chat_rate=per_chat_rate,
            per_chat_burst=per_chat_burst,
            per_bot_rate=per_bot_rate,
            per_bot_burst=per_bot_burst,
            group_per_minute=group_per_minute,
        )
        # Telegram's window for answering a callback query is undocumented (~15 s); judged in
        # real time because it is about a live client's spinner.
        self.callback_answer_window = callback_answer_window
        self.bots: dict[str, BotState] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.groups: dict[int, Chat] = {}
        self.private_chats: dict[tuple[int, int], Chat] = {}  # (bot id, user id)
        self.files: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.calls: list[CallRecord] = []
        self._faults: list[Fault] = []
        self._random_faults: list[RandomFaults] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._webhooks: dict[int, WebhookDeliverer] = {}

    # ----------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        # Uploads up to Telegram's 50 MB; aiohttp's default limit is 1 MB.
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a client that gives up on a long poll must not leave a handler
        # waiting behind it (aiohttp stopped cancelling those by default in 3.9).
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = self._runner.addresses
        bound_host, bound_port = sockets[0][:2]
        self._base_url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        self._closing = True
        self.notify()  # wakes long polls so shutdown does not wait for their timeouts
        for deliverer in list(self._webhooks.values()):
            await deliverer.stop()
        self._webhooks.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the emulator is not started")
        return self._base_url

    @property
    def closing(self) -> bool:
        return self._closing

    # ----------------------------------------------------------------- setup

    def add_bot(self, token: str, username: str, first_name: str = "Bot") -> int:
        prefix = token.split(":", 1)[0]
        if not prefix.isdigit() or ":" not in token:
            raise ValueError("a bot token looks like '123456:ABC...'")
        bot = BotState(int(prefix), token, username, first_name)
        self.bots[token] = bot
        return bot.id

    def add_user(
        self,
        user_id: int,
        first_name: str = "Warga",
        language_code: str = "id",
        username: str | None = None,
        *,
        bot_token: str | None = None,
    ) -> EmulatedUser:
        """A Telegram user; acts on bot_token, or on the first bot added (at the time it acts)."""
        from .users import EmulatedUser

        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name,
                                "language_code": language_code}  # fmt: skip
        if username:
            user["username"] = username
        self.users[user_id] = user
        return EmulatedUser(self, user_id, bot_token)

    def add_group(self, chat_id: int, title: str, members: list[int], bots: list[str]) -> Chat:
        group = Chat(chat_id, "group", title=title, members=set(members),
                     bot_ids={self.bot(token).id for token in bots})  # fmt: skip
        self.groups[chat_id] = group
        return group

    def bot(self, token: str | None = None) -> BotState:
        """A bot by token; None means the first bot added."""
        if token is None:
            if not self.bots:
                raise RuntimeError("add_bot() first")
            return next(iter(self.bots.values()))
        try:
            return self.bots[token]
        except KeyError:
            raise KeyError(f"unknown bot token {token!r}") from None

    # ----------------------------------------------------------------- faults

    def inject_fault(
        self,
        method: str | None = None,
        *,
        status: int,
        count: int = 1,
        retry_after: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
        raw_body: str | None = None,
    ) -> None:
        """Fail the next `count` matching calls with `status`. raw_body replaces the JSON
        envelope (a proxy's HTML 502 page, which aiogram reports as ClientDecodeError)."""
        self._faults.append(
            Fault("error", _lower(method), count, chat_id, status, retry_after, description, raw_body)
        )

    def inject_delay(self, method: str | None, seconds: float, count: int = 1) -> None:
        """Answer the next `count` matching calls after `seconds` of real time (then normally)."""
        self._faults.append(Fault("delay", _lower(method), count, seconds=seconds))

    def inject_disconnect(
        self, method: str | None, count: int = 1, *, after_processing: bool = False
    ) -> None:
        """Close the connection without answering. With after_processing the call takes effect
        first (the answer is lost, not the request), which is what makes blind retries send
        duplicates."""
        self._faults.append(
            Fault("disconnect", _lower(method), count, after_processing=after_processing)
        )

    def inject_random_faults(
        self,
        *,
        seed: int = 0,
        error_rate: float = 0.0,
        rate_limit_rate: float = 0.0,
        retry_after: int = 1,
        disconnect_rate: float = 0.0,
        after_processing: float = 0.5,
        slow_rate: float = 0.0,
        slow_seconds: float = 0.5,
        methods: list[str] | None = None,
        exclude: list[str] | tuple[str, ...] = ("getUpdates",),
        chat_id: int | None = None,
        error_statuses: tuple[int, ...] = (500, 502, 503, 504),
    ) -> RandomFaults:
        """Faults at rates (probabilities per call) until clear_faults(); see RandomFaults. Count-
        based faults (inject_fault and friends) are taken first. Returns the live object, whose
        `injected` counter tells what was injected."""
        for name, rate in (("error_rate", error_rate), ("rate_limit_rate", rate_limit_rate),
                           ("disconnect_rate", disconnect_rate), ("slow_rate", slow_rate),
                           ("after_processing", after_processing)):  # fmt: skip
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if error_rate + rate_limit_rate + disconnect_rate > 1.0:
            raise ValueError("error_rate + rate_limit_rate + disconnect_rate must not exceed 1")
        faults = RandomFaults(
            seed=seed, error_rate=error_rate, error_statuses=tuple(error_statuses),
            rate_limit_rate=rate_limit_rate, retry_after=retry_after, clock=self.clock,
            disconnect_rate=disconnect_rate, after_processing=after_processing,
            slow_rate=slow_rate, slow_seconds=slow_seconds,
            methods=None if methods is None else frozenset(m.lower() for m in methods),
            exclude=frozenset(m.lower() for m in exclude), chat_id=chat_id,
        )  # fmt: skip
        self._random_faults.append(faults)
        return faults

    def clear_faults(self) -> None:
        self._faults.clear()
        self._random_faults.clear()

    def _take_faults(
        self, method: str, chat_id: int | None, bot_id: int | None = None
    ) -> tuple[float, Fault | None]:
        """Consume the matching faults: total delay, plus the first error/disconnect."""
        delay, failure = 0.0, None
        for fault in self._faults:
            if not fault.matches(method, chat_id):
                continue
            if fault.kind == "delay":
                delay += fault.seconds
            elif failure is None:
                failure = fault
            else:
                continue
            fault.count -= 1
        self._faults = [fault for fault in self._faults if fault.count > 0]
        for random_faults in self._random_faults:
            if failure is not None or not random_faults.matches(method, chat_id):
                continue
            extra, drawn = random_faults.draw(bot_id or 0, method, chat_id)
            delay += extra
            failure = drawn
        return delay, failure

    # ----------------------------------------------------------------- statistics

    def errors(self, description: str | None = None, *, bot_id: int | None = None) -> list[CallRecord]:
        """The calls refused (status 400 and up, 429s included), optionally only those whose
        description contains `description` (case-insensitive)."""
        return [
            call for call in self.calls
            if call.status >= 400
            and (description is None or description.lower() in (call.description or "").lower())
            and (bot_id is None or call.bot_id == bot_id)
        ]

    def count_calls(
        self,
        method: str | None = None,
        *,
        status: int | None = None,
        chat_id: int | None = None,
        bot_id: int | None = None,
    ) -> int:
        return sum(
            1
            for call in self.calls
            if (method is None or call.method.lower() == method.lower())
            and (status is None or call.status == status)
            and (chat_id is None or call.chat_id == chat_id)
            and (bot_id is None or call.bot_id == bot_id)
        )

    @property
    def stats(self) -> dict[str, Any]:
        """Counts for reliability reports: calls by (method, status), 429s given, messages
        delivered (successful calls of methods that create messages)."""
        by_call = Counter((call.method, call.status) for call in self.calls)
        delivered = sum(n for (method, status), n in by_call.items()
                        if status == 200 and method.lower() in SENDS_MESSAGE)  # fmt: skip
        return {
            "calls": len(self.calls),
            "by_method_status": dict(by_call),
            "rate_limited": sum(1 for call in self.calls if call.status == 429),
            "delivered": delivered,
        }

    # ----------------------------------------------------------------- waiting

    def notify(self) -> None:
        """Wake everything waiting on state (long polls, webhook senders, test users)."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_for(self, predicate: Callable[[], T], timeout: float | None) -> T | None:
        """The predicate's first truthy value, or None after `timeout` seconds (real time)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            result = predicate()
            if result or self._closing:
                return result or None
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    # ----------------------------------------------------------------- chats and updates

    def private_chat(self, bot: BotState, user_id: int, *, create: bool = False) -> Chat | None:
        chat = self.private_chats.get((bot.id, user_id))
        if chat is None and create:
            chat = Chat(user_id, "private", user=self.users[user_id], bot_ids={bot.id},
                        members={user_id})  # fmt: skip
            self.private_chats[(bot.id, user_id)] = chat
        return chat

    def resolve_chat(self, bot: BotState, raw_chat_id: Any) -> Chat:
        """The chat a bot addresses, with Telegram's answers for chats it cannot reach."""
        if raw_chat_id is None or raw_chat_id == "":
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(raw_chat_id)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None  # "@username" chats are not emulated
        if chat_id in self.groups:
            group = self.groups[chat_id]
            if bot.id not in group.bot_ids:
                raise forbidden("bot is not a member of the group chat")
            return group
        if chat_id in self.users:
            chat = self.private_chat(bot, chat_id)
            if chat is None:
                raise forbidden("bot can't initiate conversation with a user")
            if chat.blocked:
                raise forbidden("bot was blocked by the user")
            return chat
        if any(other.id == chat_id for other in self.bots.values()):
            raise forbidden("bot can't send messages to bots")
        raise bad_request("chat not found")

    def check_flood(self, bot: BotState, chat: Chat) -> None:
        retry_after = self.limiter.acquire(bot.id, chat.id, is_group=chat.type != "private")
        if retry_after:
            raise too_many_requests(retry_after)

    def push_update(self, bot: BotState, kind: str, payload: dict[str, Any]) -> dict | None:
        """Queue an update for the bot, unless its allowed_updates filter drops the kind."""
        if not bot.wants(kind):
            return None
        update = bot.updates.push(kind, payload)
        self.notify()
        return update

    def redeliver(self, bot_token: str, update_id: int) -> None:
        """Queue an already-confirmed update again with the SAME update_id, as Telegram does
        when a bot restarts before confirming; the next getUpdates returns it whatever its
        offset, so a running bot's deduplication can be tested."""
        self.bot(bot_token).updates.redeliver(update_id)
        self.notify()

    def pending_updates(self, bot_token: str | None = None) -> list[dict]:
        return list(self.bot(bot_token).updates.pending)

    def chat(self, bot_token: str | None, chat_id: int) -> Chat:
        """A chat as one bot sees it (tests inspect messages through it)."""
        bot = self.bot(bot_token)
        chat = self.groups.get(chat_id) or self.private_chat(bot, chat_id)
        if chat is None:
            raise KeyError(f"bot {bot.id} has no chat {chat_id}")
        return chat

    def next_id(self) -> int:
        return next(self._ids)

    # ----------------------------------------------------------------- user side (users.py)

    def user_acts(self) -> None:
        """A human pauses between actions: in virtual time that pause refills rate buckets."""
        if self.think_time > 0 and isinstance(self.clock, VirtualClock):
            self.clock.advance(self.think_time)

    def user_message(self, bot: BotState, user_id: int, **content: Any) -> Message:
        chat = self.private_chat(bot, user_id, create=True)
        assert chat is not None
        if chat.blocked:
            raise AssertionError(f"user {user_id} blocked bot {bot.id}; call unblock() first")
        message = chat.new_message(self.users[user_id], from_bot=False, **content)
        self.push_update(bot, "message", message.to_api())
        return message

    def user_callback(
        self, bot: BotState, user_id: int, message: Message, data: str, label: str | None = None,
        *, stale: bool = False,
    ) -> CallbackQuery:
        """A press on a button of `message`. `stale`: the message is inaccessible to the bot (older
        than 48 hours, or deleted), and Telegram sends an InaccessibleMessage (its chat and id,
        date 0) in its place; the bot can no longer edit it."""
        if message.deleted and not stale:
            raise AssertionError(f"message {message.message_id} was deleted; its buttons are gone")
        # Once inaccessible, always: every later press on it comes the same way.
        stale = stale or message.inaccessible
        message.inaccessible = stale
        query = CallbackQuery(str(10**15 + self.next_id()), bot.id, user_id, message, data, label)
        self.callback_queries[query.id] = query
        message.chat.timeline.append(query)
        payload = {
            "id": query.id,
            "from": self.users[user_id],
            "message": {"chat": message.chat.to_api(), "message_id": message.message_id, "date": 0}
            if stale else message.to_api(),
            "chat_instance": str(abs(hash((bot.id, message.chat_id)))),
            "data": data,
        }
        self.push_update(bot, "callback_query", payload)
        return query

    def set_blocked(self, bot: BotState, user_id: int, blocked: bool) -> None:
        """Block or unblock, with the my_chat_member update Telegram sends for it."""
        chat = self.private_chat(bot, user_id, create=True)
        assert chat is not None
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        payload = {
            "chat": chat.to_api(),
            "from": self.users[user_id],
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": bot.to_api()},
            "new_chat_member": {"status": new, "user": bot.to_api(),
                                **({"until_date": 0} if blocked else {})},  # fmt: skip
        }
        self.push_update(bot, "my_chat_member", payload)

    # ----------------------------------------------------------------- files

    def store_file(self, bot: BotState, kind: str, data: bytes, ext: str, **meta: Any) -> StoredFile:
        seq = self.next_id()
        stored = StoredFile(
            file_id=f"{kind[:2].upper()}{bot.id}x{seq:06d}",
            file_unique_id=f"U{seq:06d}",
            bot_id=bot.id,
            kind=kind,
            data=data,
            file_path=f"{kind}s/file_{seq}.{ext}",
            meta=meta,
        )
        self.files[stored.file_id] = stored
        return stored

    def store_photo(
        self, bot: BotState, data: bytes, width: int = 1280, height: int = 960
    ) -> list[dict]:
        """The PhotoSize array Telegram makes from one image: thumbnails first, original last."""
        sizes = []
        for scale in (16, 4, 1):
            scaled = data if scale == 1 else data[: len(data) // scale]
            stored = self.store_file(bot, "photo", scaled, "jpg",
                                     width=max(1, width // scale), height=max(1, height // scale))  # fmt: skip
            sizes.append(stored.to_api())
        return sizes

    def find_file(self, bot: BotState, file_id: str) -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None or stored.bot_id != bot.id:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    # ----------------------------------------------------------------- HTTP

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        bot = self.bots.get(request.match_info["token"])
        method = canonical_name(request.match_info["method"])
        try:
            params = await _read_params(request)
        except ApiError as error:
            return self._answer(bot, method, None, error)
        chat_id = _int_or_none(params.get("chat_id"))
        if bot is None:
            return self._answer(None, method, chat_id, ApiError(401, "Unauthorized"))
        handler = METHODS.get(method.lower())
        if handler is None:
            return self._answer(bot, method, chat_id, ApiError(404, "Not Found: method not found"))

        delay, fault = self._take_faults(method.lower(), chat_id, bot.id)
        if delay:
            await asyncio.sleep(delay)
        if fault is not None and fault.kind == "error":
            return self._answer(bot, method, chat_id, fault.error(), raw_body=fault.raw_body)
        if fault is not None and not fault.after_processing:
            return self._disconnect(request, bot, method, chat_id)

        try:
            result = handler(self, bot, params)
            if inspect.isawaitable(result):
                result = await result
            outcome: Any = {"ok": True, "result": result}
        except ApiError as error:
            outcome = error
        if fault is not None:
            return self._disconnect(request, bot, method, chat_id)
        return self._answer(bot, method, chat_id, outcome)

    def _answer(
        self,
        bot: BotState | None,
        method: str,
        chat_id: int | None,
        outcome: dict | ApiError,
        *,
        raw_body: str | None = None,
    ) -> web.Response:
        if isinstance(outcome, ApiError):
            status, body = outcome.status, outcome.to_json()
            description = outcome.description
        else:
            status, body, description = 200, outcome, None
        self.calls.append(CallRecord(bot.id if bot else None, method, chat_id, status, description))
        if raw_body is not None:
            return web.Response(status=status, text=raw_body, content_type="text/html")
        return web.json_response(body, status=status, dumps=_dumps)

    def _disconnect(
        self, request: web.Request, bot: BotState, method: str, chat_id: int | None
    ) -> web.Response:
        # Status 0 in the call log: no answer was given.
        self.calls.append(CallRecord(bot.id, method, chat_id, 0))
        if request.transport is not None:
            request.transport.abort()
        # Ending the handler as cancelled makes aiohttp drop the connection quietly instead of
        # trying to write a response to it.
        raise asyncio.CancelledError

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        bot = self.bots.get(request.match_info["token"])
        path = request.match_info["path"]
        for stored in self.files.values():
            if bot is not None and stored.bot_id == bot.id and stored.file_path == path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"},
                                 status=404)  # fmt: skip

    # ----------------------------------------------------------------- webhooks

    def start_webhook(self, bot: BotState) -> None:
        if bot.id not in self._webhooks:
            self._webhooks[bot.id] = WebhookDeliverer(self, bot)

    async def stop_webhook(self, bot: BotState) -> None:
        deliverer = self._webhooks.pop(bot.id, None)
        if deliverer is not None:
            await deliverer.stop()


def _lower(method: str | None) -> str | None:
    return None if method is None else method.lower()


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def _read_params(request: web.Request) -> Params:
    """Query string plus body, whether JSON, urlencoded or multipart."""
    values: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON encoded request body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON object expected as request body")
            values.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    value = UploadedFile(value.filename, value.content_type, value.file.read())
                values[name] = value
    return Params(values)
