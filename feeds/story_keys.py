"""What makes two articles one story, and which entries of a feed are new (pure rules).

Storage asks these questions with values it has read; the answers decide which story an
article joins and which rows it writes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from feeds.models import Article, Hit

STORY_WINDOW = timedelta(days=1)
"""The same normalized headline within this window counts as the same story."""
MIN_STORY_KEY = 12
"""Shorter headlines ("News", "Update") are too common to identify a story."""


def title_key(title: str) -> str:
    """A headline reduced to lower-case words, to recognize the same story in two feeds."""
    return " ".join(re.findall(r"\w+", title.casefold()))[:512]


def same_day(found: list[tuple[datetime, int]], published: datetime) -> int | None:
    """The story of a stored article with the same headline key published within a day."""
    for when, story in found:
        if abs(when - published) <= STORY_WINDOW:
            return story
    return None


def assign_stories(
    values: Sequence[Article],
    keys: Sequence[str],
    by_link: dict[str, int],
    by_key: dict[str, list[tuple[datetime, int]]],
    now: datetime,
) -> tuple[list[int | None], list[int | None]]:
    """Each article's known story, or the earlier article of this batch it repeats."""
    stories: list[int | None] = []
    leader: list[int | None] = []
    batch_link: dict[str, int] = {}
    batch_key: dict[str, int] = {}
    for position, (value, key) in enumerate(zip(values, keys, strict=True)):
        published = value.published or now
        story = by_link.get(value.canonical_link) if value.canonical_link else None
        if story is None and len(key) >= MIN_STORY_KEY:
            story = same_day(by_key.get(key, []), published)
        first = None
        if story is None:
            first = batch_link.get(value.canonical_link) if value.canonical_link else None
            if first is None and len(key) >= MIN_STORY_KEY:
                first = batch_key.get(key)
        if value.canonical_link:
            batch_link.setdefault(value.canonical_link, position)
        if len(key) >= MIN_STORY_KEY:
            batch_key.setdefault(key, position)
        stories.append(story)
        leader.append(first)
    return stories, leader


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


def first_hit_per_chat(hits: Sequence[Hit]) -> list[Hit]:
    """One alert per chat and article: the chat's oldest matching subscription names it."""
    best: dict[int, Hit] = {}
    for hit in sorted(hits, key=lambda h: h.subscription_id):
        best.setdefault(hit.chat_id, hit)
    return list(best.values())
