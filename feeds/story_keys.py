"""Which entries of a feed are new, and who an article alerts (pure rules).

Storage asks these questions with values it has read; the answers decide which rows it
writes. Which story an article joins is `feeds.stories`' question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from feeds.models import Article, Hit


def title_key(title: str) -> str:
    """A headline reduced to lower-case words (stored with the article, for search tools)."""
    return " ".join(re.findall(r"\w+", title.casefold()))[:512]


def new_entries(
    articles: Sequence[Article], known_guids: set[str], known_links: set[str]
) -> list[Article]:
    """The entries not stored yet: a known guid or link is the same entry, even in one batch."""
    seen: set[str] = set()
    fresh: list[Article] = []
    for value in articles:
        known_link = bool(value.link) and value.link in known_links
        if value.guid in known_guids or known_link or value.guid in seen:
            continue
        seen.add(value.guid)
        if value.link:  # the same link twice in one document is one article too
            known_links.add(value.link)
        fresh.append(value)
    return fresh


def hits_per_chat(hits: Sequence[Hit]) -> list[list[Hit]]:
    """One alert per chat and article, naming every subscription of the chat that matched,
    oldest first: the oldest is the alert's own (its 🔕 button mutes it)."""
    per_chat: dict[int, list[Hit]] = {}
    for hit in sorted(hits, key=lambda h: h.subscription_id):
        per_chat.setdefault(hit.chat_id, []).append(hit)
    return list(per_chat.values())
