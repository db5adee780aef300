"""Which entries are new and who an article alerts: the rules storage applies."""

from __future__ import annotations

from datetime import UTC, datetime

from feeds.models import Article, Hit
from feeds.preferences import wants_language
from feeds.story_keys import hits_per_chat, new_entries, title_key

NOW = datetime(2025, 9, 2, 8, 0, tzinfo=UTC)


def _article(guid: str, title: str = "Kim Jong-un fährt nach China", **changes: object) -> Article:
    values: dict[str, object] = {
        "guid": guid,
        "link": f"https://example.org/{guid}",
        "canonical_link": f"https://example.org/{guid}",
        "title": title,
        "teaser": "",
        "published": NOW,
        "language": "de",
    }
    values.update(changes)
    return Article(**values)  # type: ignore[arg-type]


def test_two_spellings_of_one_headline_share_a_key() -> None:
    assert title_key("Kim Jong-un fährt nach CHINA!") == title_key("kim jong un fährt nach china")


def test_a_known_link_or_guid_is_not_new_and_a_repeat_in_one_batch_counts_once() -> None:
    batch = [_article("1"), _article("2"), _article("2"), _article("3", link="https://x/known")]
    fresh = new_entries(batch, known_guids={"1"}, known_links={"https://x/known"})
    assert [a.guid for a in fresh] == ["2"]


def test_a_chat_gets_one_alert_per_article_naming_every_subscription_oldest_first() -> None:
    hits = [Hit(5, 100, "Putin"), Hit(2, 100, "Kim"), Hit(3, 200, "China")]
    assert sorted(hits_per_chat(hits), key=lambda chat: chat[0].chat_id) == [
        [Hit(2, 100, "Kim"), Hit(5, 100, "Putin")],
        [Hit(3, 200, "China")],
    ]


def test_article_languages_filter_only_known_languages() -> None:
    assert wants_language(None, "fr")
    assert wants_language("de,en", "de")
    assert not wants_language("de,en", "fr")
    assert wants_language("de,en", None)
