"""The machinery bench/throughput.py and bench/dispatch.py share, one module a concern.

Layout of a benchmark run (2 processes, so the emulator's own CPU never steals the bot's):

* this process: the project's Bot API emulator (``emulator.TrackingEmulator``, which also
  timestamps every successful Bot API call per chat with ``time.perf_counter``) and the simulated
  people (``residents``), who act through ``EmulatedUser`` exactly as the end-to-end tests do;
* a child process (``child``, started by ``bot_process.BotProcess``): the bot under test, talking
  to the emulator over real HTTP: either the real ``lapor.app.App`` (InboxPoller, outbox workers,
  the database) or a bare aiogram 3 bot (aiogram's own ``Dispatcher.start_polling`` and one
  handler that answers every message and every button press with one message).

The child prints ``READY`` once it polls, and on ``STOP`` (a line on its stdin) stops gracefully
and prints one JSON line of figures (its CPU time per thread, what its workers sent, ...).

A resident's step is finished when the bot has made, in that resident's chat, as many successful
Bot API calls (sends, edits, deletes) as the same step costs when one resident is alone with the
bot (``residents.calibrate_real_flow``, run in-process with the project's own ``settle``). The
reply time of a step is the time from the user's action (the update queued in the emulator) to the
bot's first call in that chat (the first thing the user sees); the "complete" time is to its last
call. ``machine`` and ``stats`` print the figures; ``databases`` gives each run a fresh database.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TEST_REGION = ROOT / "tests" / "data" / "testregion.toml"
CITIZEN_TOKEN = "111111:CITIZEN-BENCH-TOKEN"
BACKOFFICE_TOKEN = "222222:BACKOFFICE-BENCH-TOKEN"
BARE_TOKEN = "333333:BARE-BENCH-TOKEN"
PIN_ALPHA = (-7.05, 112.05)  # inside kecamatan Alpha of the test region (tests/harness.py)
