"""The backoffice bot's routers, in the order they are asked."""
from __future__ import annotations

from aiogram import Router

from backoffice.handlers import alert_actions, queue, start, work


def router() -> Router:
    root = Router(name="backoffice")
    root.include_routers(start.router(), queue.router(), alert_actions.router(), work.router())
    return root
