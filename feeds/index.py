"""The live subscription index: a Matcher plus who owns each subscription.

The application keeps one in memory; `/subscribe` adds to it at once, and a full rebuild (from
the database, in a worker thread) is swapped in atomically.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from feeds.matcher import Matcher
from feeds.models import Article, Hit
from feeds.query import Query


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose subscription an index entry is, and how the reader typed it."""

    chat_id: int
    query_text: str


class SubscriptionIndex:
    """Matches an article against every live subscription without looping over them."""

    def __init__(self, matcher: Matcher | None = None, owners: dict[int, Owner] | None = None):
        self._matcher = matcher if matcher is not None else Matcher.build(())
        self._owners: dict[int, Owner] = dict(owners or {})

    @classmethod
    def build(cls, entries: Iterable[tuple[int, int, str, Query]]) -> SubscriptionIndex:
        """An index of (subscription id, chat id, query text, parsed query) entries."""
        materialized = list(entries)
        matcher = Matcher.build((sid, query) for sid, _, _, query in materialized)
        owners = {sid: Owner(chat_id, text) for sid, chat_id, text, _ in materialized}
        return cls(matcher, owners)

    def __len__(self) -> int:
        return len(self._owners)

    def add(self, subscription_id: int, chat_id: int, query_text: str, query: Query) -> None:
        self._matcher.add(subscription_id, query)
        self._owners[subscription_id] = Owner(chat_id, query_text)

    def remove(self, subscription_id: int) -> None:
        if self._owners.pop(subscription_id, None) is not None:
            self._matcher.remove(subscription_id)

    def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its subscriptions now alert the new chat id."""
        for sid, owner in list(self._owners.items()):
            if owner.chat_id == old_chat_id:
                self._owners[sid] = Owner(new_chat_id, owner.query_text)

    @property
    def needs_compaction(self) -> bool:
        """Enough changes piled up since the last compaction to make matching slower."""
        return self._matcher.compaction_due

    def compact(self) -> None:
        """Fold the pending changes into the matcher's compact form (blocking: run in a thread)."""
        self._matcher.compact()

    def match(self, article: Article) -> list[Hit]:
        """The subscriptions that match the article, oldest subscription first."""
        # The whole description is matched; only the display is cut to the teaser.
        ids = self._matcher.match(
            article.title, article.description or article.teaser, article.language
        )
        hits = []
        for sid in sorted(ids):
            owner = self._owners.get(sid)
            if owner is not None:
                hits.append(Hit(sid, owner.chat_id, owner.query_text))
        return hits
