"""Test doubles that speak real protocols over loopback: a fake Bot API and a feed server."""

from tests.fakes.feed_server import FeedRequest, FeedServer, rss
from tests.fakes.telegram_api import Call, Failure, FakeBotAPI, FloodLimits, Rejection
from tests.fakes.telegram_html import EntityParseError, ParsedText, parse_html

__all__ = [
    "Call",
    "EntityParseError",
    "Failure",
    "FakeBotAPI",
    "FeedRequest",
    "FeedServer",
    "FloodLimits",
    "ParsedText",
    "Rejection",
    "parse_html",
    "rss",
]
