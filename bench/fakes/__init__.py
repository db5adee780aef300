"""Stand-ins that speak real protocols over loopback: a fake Bot API and a feed server.

The tests and the benchmarks (``newsbot bench poll|deliver``) share them, so they ship with
the package rather than with the tests.
"""

from bench.fakes._feed_server import FeedRequest, FeedServer, rss
from bench.fakes._telegram_flood import FloodLimits, Rejection
from bench.fakes._telegram_html import EntityParseError, ParsedText, parse_html
from bench.fakes._telegram_server import FakeBotAPI, FakeBotAPIProcess
from bench.fakes._telegram_state import Call, Failure

__all__ = [
    "Call",
    "EntityParseError",
    "Failure",
    "FakeBotAPI",
    "FakeBotAPIProcess",
    "FeedRequest",
    "FeedServer",
    "FloodLimits",
    "ParsedText",
    "Rejection",
    "parse_html",
    "rss",
]
