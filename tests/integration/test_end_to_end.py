"""The whole alert loop on real parts: feed server → poll → match → outbox → fake Bot API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.fakes import FakeBotAPI, FeedServer
from tests.integration.harness import db_count, eventually, make_settings, running

SEED = Path(__file__).parents[1] / "data" / "seed" / "krone-de-kim-china.xml"
OLD_ITEM = """
    <item>
      <title>Kim Jong Un besucht Raketenfabrik</title>
      <link>https://www.krone.at/example/kim-raketenfabrik</link>
      <guid isPermaLink="false">krone-example-old-1</guid>
      <pubDate>Mon, 01 Sep 2025 10:00:00 +0200</pubDate>
      <description>Ein älterer Bericht.</description>
    </item>
"""
READER, FAN = 1001, 1002


def _feed_with_old_item_only() -> bytes:
    seed = SEED.read_text(encoding="utf-8")
    start, end = seed.index("<item>"), seed.index("</item>") + len("</item>")
    return (seed[:start] + OLD_ITEM.strip() + seed[end:]).encode("utf-8")


def _feed_with_seed_and_old_item() -> bytes:
    seed = SEED.read_text(encoding="utf-8")
    return seed.replace("</channel>", OLD_ITEM + "</channel>").encode("utf-8")


def _alerts(api: FakeBotAPI, chat_id: int) -> list[dict[str, Any]]:
    """Alerts as readers see them: a photo's caption is its text (the seed has a picture)."""
    shown = [
        {**m, "text": m.get("text") or m.get("caption") or ""} for m in api.sent_messages(chat_id)
    ]
    return [m for m in shown if "Matched:" in m["text"]]


async def test_reader_gets_exactly_one_alert_for_the_seed_article(tmp_path: Path) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        url = feeds.set_feed("/krone.xml", _feed_with_old_item_only())
        settings = make_settings(api.base_url, tmp_path, [url])
        async with running(settings):
            # The first poll stores the backlog (the old item) without alerting it.
            assert await eventually(
                lambda: db_count(settings, "SELECT count(*) FROM articles") == 1
            )
            api.push_message(READER, "/subscribe Kim Jong Un")
            api.push_message(FAN, "/subscribe Fußball")
            replies = await api.wait_for_messages_async(READER, 1)
            assert "Kim Jong Un" in replies[0]["text"]
            assert "Kim Jong Un besucht Raketenfabrik" in replies[0]["text"]  # already stored
            assert await api.wait_for_messages_async(FAN, 1)

            feeds.set_feed("/krone.xml", _feed_with_seed_and_old_item())
            assert await eventually(lambda: len(_alerts(api, READER)) >= 1)
            # Let a few more polls pass: still exactly one alert, and none for the fan.
            polls = feeds.count("/krone.xml")
            assert await eventually(lambda: feeds.count("/krone.xml") >= polls + 2)
            alerts = _alerts(api, READER)
            assert len(alerts) == 1
            alert = alerts[0]
            assert alert["text"].startswith("Seltene Auslandsreise: Kim fährt nach China\n")
            assert "<b>Seltene Auslandsreise: Kim fährt nach China</b>" in alert["html"]
            teaser = alert["text"].split("\n")[1]
            assert teaser.startswith("Könnte Putin treffen – Für eine seiner seltenen")
            assert "<p>" not in alert["text"] and "&ndash;" not in alert["text"]
            assert (
                "https://www.krone.at/example/seltene-auslandsreise-kim-faehrt-nach-china"
                in alert["text"]
            )
            assert _alerts(api, FAN) == []

            api.push_message(READER, "/search Kim")
            found = await api.wait_for_messages_async(READER, 3)
            assert "Seltene Auslandsreise: Kim fährt nach China" in found[-1]["text"]

        # A restart on the same database sends nothing twice.
        sent_before = len(api.sent_messages())
        async with running(settings):
            polls = feeds.count("/krone.xml")
            assert await eventually(lambda: feeds.count("/krone.xml") >= polls + 2)
        assert len(api.sent_messages()) == sent_before
        assert db_count(settings, "SELECT count(*) FROM alerts WHERE status = 'sent'") == 1
