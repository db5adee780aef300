"""The services every handler reaches through `context.bot_data`, behind one typed accessor.

`bot/app.py` (`_post_init`) stores them under SERVICES_KEY once the runtime is open.
"""

from __future__ import annotations

from telegram.ext import ContextTypes

from services.core import Services

__all__ = ["SERVICES_KEY", "Services", "services"]

SERVICES_KEY = "newsbot.services"


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The running bot's services."""
    found = context.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found
