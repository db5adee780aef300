"""The feeds and the operators: /sources for everyone; /addfeed, /removefeed, /stats for ADMIN_IDS.

Feeds added from the chat are fetched once through the shared Fetcher with the address guard
on (`trusted=False`: no loopback, private or link-local addresses), accepted only when the body
parses as a feed, and stored with origin "chat" next to the FEEDS_FILE feeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never
from urllib.parse import urlsplit

from babel.numbers import format_decimal
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from feeds.feed_update import ErrorKind, classify_error
from feeds.render import cut, escape
from handlers.callbacks import REMOVE_FEED, read_feed_removal
from handlers.common import Reader, answer, command_args, reader, reply, shows_buttons
from handlers.context import services
from handlers.guards import operator_only
from handlers.i18n import Translate, TranslatePlural, format_moment
from services import feeds as sources_service
from services.feeds import AddedFeed, BotStats, FeedView, RemovedFeed

MESSAGE_BUDGET = 3800
"""Telegram allows 4096 characters; long lists are split below that, at line boundaries."""
REMOVE_PAGE = 10
MAX_URL = 2048


# --- health in plain words (pure) ------------------------------------------------------------


def error_in_words(kind: str | None, _: Translate) -> str:
    """A fetch/parse error kind as a reader would say it."""
    classified = classify_error(kind)
    if classified is None:
        return _("an unknown error")
    typed, status = classified
    return _kind_in_words(typed, status, _)


def _kind_in_words(kind: ErrorKind, status: int | None, _: Translate) -> str:
    # Exhaustive: a new kind in feeds.feed_update.ErrorKind fails mypy here until it has words.
    match kind:
        case "timeout":
            return _("the server did not answer in time")
        case "network":
            return _("the server cannot be reached")
        case "http_404":
            return _("the address is not found (404)")
        case "http_410":
            return _("the feed is gone for good (410)")
        case "http_429":
            return _("the server asks us to slow down (429)")
        case "http_5xx":
            return _("the server has an error (5xx)")
        case "http_4xx":
            return _("the server refuses it ({status})").format(status=status)
        case "too_large":
            return _("the feed is too large")
        case "redirects":
            return _("too many redirects")
        case "blocked_address":
            return _("the address points into a private network")
        case "bad_scheme":
            return _("not an http(s) address")
        case "bad_url":
            return _("not a valid address")
        case "decode":
            return _("the response cannot be decoded")
        case "not_a_feed":
            return _("the page is not a feed")
        case "internal":
            return _("an error on our side")
        case "unknown":
            return _("an unknown error")
        case _ as unreachable:
            assert_never(unreachable)


def feed_name(feed: FeedView) -> str:
    return feed.title or urlsplit(feed.url).netloc or feed.url


def health_in_words(feed: FeedView, _: Translate, language: str, timezone: str) -> str:
    """One feed's health: healthy, failing since when and why, waiting, or switched off."""
    if not feed.active:
        return _("switched off")
    if feed.consecutive_failures:
        problem = error_in_words(feed.last_error_kind, _)
        if feed.last_success_at is None:
            return _("failing since it was added: {problem}").format(problem=problem)
        return _("failing since {time}: {problem}").format(
            time=format_moment(feed.last_success_at, language, timezone), problem=problem
        )
    if feed.last_success_at is None:
        return _("not read yet")
    return _("healthy, last read {time}").format(
        time=format_moment(feed.last_success_at, language, timezone)
    )


def chunk_lines(lines: Sequence[str], budget: int = MESSAGE_BUDGET) -> list[str]:
    """Lines joined into as few messages as fit the budget (a line is never split)."""
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + len(line) + 1 > budget:
            messages.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        messages.append("\n".join(current))
    return messages


def sources_lines(
    feeds: Sequence[FeedView],
    _: Translate,
    ngettext: TranslatePlural,
    language: str,
    timezone: str,
) -> list[str]:
    """/sources as lines (HTML): healthy feeds first grouped, every failing one explained."""
    active = [f for f in feeds if f.active]
    if not active:
        return [_("I don't read any feed yet.")]
    failing = [f for f in active if f.consecutive_failures]
    lines = [
        ngettext(
            "<b>I read {count} feed</b> ({failing} failing).",
            "<b>I read {count} feeds</b> ({failing} failing).",
            len(active),
        ).format(count=len(active), failing=len(failing))
    ]
    for feed in sorted(active, key=lambda f: (-f.consecutive_failures, feed_name(f).casefold())):
        mark = "❌" if feed.consecutive_failures else ("✅" if feed.last_success_at else "⏳")
        lines.append(
            f"{mark} <b>{escape(cut(feed_name(feed), 60))}</b> — "
            f"{escape(health_in_words(feed, _, language, timezone))}"
        )
    return lines


def stats_text(
    stats: BotStats,
    last_poll_seconds: float | None,
    _: Translate,
    ngettext: TranslatePlural,
    language: str,
) -> str:
    """/stats (HTML)."""
    poll = (
        _("{seconds} s").format(seconds=format_decimal(last_poll_seconds, "0.0", locale=language))
        if last_poll_seconds is not None
        else _("no poll yet")
    )
    lines = [
        _("<b>Statistics</b>"),
        _("Chats: {active} active, {paused} paused, {blocked} blocked the bot").format(
            active=stats.chats_active, paused=stats.chats_paused, blocked=stats.chats_blocked
        ),
        _("Subscriptions: {count}").format(count=stats.subscriptions),
        _("Feeds: {healthy} healthy, {failing} failing, {waiting} not read yet, {off} off").format(
            healthy=stats.feeds_healthy,
            failing=stats.feeds_failing,
            waiting=stats.feeds_waiting,
            off=stats.feeds_off,
        ),
        _("Articles: {today} stored today, {total} in total").format(
            today=stats.articles_today, total=stats.articles_total
        ),
        _("Alerts in the last 24 h: {sent} sent, {queued} waiting, {parked} parked").format(
            sent=stats.alerts_sent, queued=stats.alerts_queued, parked=stats.alerts_parked
        ),
        _("Last poll took {duration}.").format(duration=poll),
    ]
    if stats.alerts_failed:
        lines.append(
            ngettext(
                "{count} alert was refused by Telegram.",
                "{count} alerts were refused by Telegram.",
                stats.alerts_failed,
            ).format(count=stats.alerts_failed)
        )
    if stats.worst_feeds:
        lines += ["", _("<b>Failing feeds</b>")]
        for problem in stats.worst_feeds:
            name = problem.title or urlsplit(problem.url).netloc or problem.url
            lines.append(
                ngettext(
                    "• {name}: {failures} failure in a row — {problem}",
                    "• {name}: {failures} failures in a row — {problem}",
                    problem.consecutive_failures,
                ).format(
                    name=f"<b>{escape(cut(name, 50))}</b>",
                    failures=problem.consecutive_failures,
                    problem=escape(error_in_words(problem.last_error_kind, _)),
                )
            )
    return "\n".join(lines)


# --- /sources --------------------------------------------------------------------------------


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The feeds the bot reads, with their health in plain words (for every reader)."""
    me = await reader(update, context)
    feeds = await sources_service.sources(services(context))
    for text in chunk_lines(sources_lines(feeds, me._, me.ngettext, me.language, me.timezone)):
        await reply(update, text)


# --- /addfeed --------------------------------------------------------------------------------


def normalize_feed_url(text: str) -> str | None:
    """The URL an operator typed, with https:// added when the scheme is missing; None if bad."""
    text = text.strip().strip("<>")
    if not text or len(text) > MAX_URL or any(c.isspace() for c in text):
        return None
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        _port = parts.port  # raises for a port that is not a number 0…65535
    except ValueError:  # "http://[" and other addresses urllib cannot read
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return text


def _fetch_refusal(error_kind: str | None, _: Translate) -> str:
    if error_kind == "blocked_address":
        return _(
            "⛔ I can't add that address: it points to a local or private network (loopback, "
            "LAN, link-local). Feeds added from the chat must be on the public internet."
        )
    return _("I couldn't fetch it: {problem}.").format(
        problem=escape(error_in_words(error_kind, _))
    )


@operator_only
async def addfeed(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """Fetch a URL once (address-guarded), and store it if it is a feed."""
    _ = me._
    url = normalize_feed_url(command_args(context, update))
    if url is None:
        await reply(
            update,
            _("Send the feed's address: <code>/addfeed https://example.org/feed.xml</code>"),
        )
        return
    added = await sources_service.add_feed(services(context), url)
    await reply(update, _added_text(added, _, me.ngettext))


def _added_text(added: AddedFeed, _: Translate, ngettext: TranslatePlural) -> str:
    """The reply to /addfeed, for each way it can end."""
    if added.outcome == "known":
        return _("I already read <b>{title}</b>.").format(title=escape(added.title))
    if added.outcome == "unavailable":
        return _("I can't fetch feeds right now; please try again in a minute.")
    if added.outcome == "unreachable":
        return _fetch_refusal(added.error_kind, _)
    if added.outcome == "not_a_feed":
        return _(
            "That address is not a feed (it looks like a web page or something else). "
            "Send the address of its RSS or Atom feed."
        )
    return ngettext(
        "✅ Added <b>{title}</b> with {count} item. I read it from now on; the items it has "
        "today are stored for /search, only new ones are alerted.",
        "✅ Added <b>{title}</b> with {count} items. I read it from now on; the items it has "
        "today are stored for /search, only new ones are alerted.",
        added.items,
    ).format(title=escape(cut(added.title, 120)), count=added.items)


# --- /removefeed -----------------------------------------------------------------------------


def _removal_keyboard(feeds: Sequence[FeedView], page: int, _: Translate) -> InlineKeyboardMarkup:
    pages = max((len(feeds) + REMOVE_PAGE - 1) // REMOVE_PAGE, 1)
    page = min(max(page, 0), pages - 1)
    shown = feeds[page * REMOVE_PAGE : (page + 1) * REMOVE_PAGE]
    rows = [
        [InlineKeyboardButton(f"✖ {cut(feed_name(f), 45)}", callback_data=f"rmfeed:{f.id}")]
        for f in shown
    ]
    paging = []
    if page > 0:
        paging.append(InlineKeyboardButton(_("◀ Back"), callback_data=f"rmfeed:p{page - 1}"))
    if page + 1 < pages:
        paging.append(InlineKeyboardButton(_("More ▶"), callback_data=f"rmfeed:p{page + 1}"))
    if paging:
        rows.append(paging)
    return InlineKeyboardMarkup(rows)


async def _active_feeds(context: ContextTypes.DEFAULT_TYPE) -> list[FeedView]:
    feeds = await sources_service.sources(services(context))
    return sorted((f for f in feeds if f.active), key=lambda f: feed_name(f).casefold())


def _removed_text(removed: RemovedFeed, _: Translate) -> str:
    name = escape(removed.title or removed.url)
    if removed.deleted:
        return _("Removed <b>{name}</b> and its stored articles.").format(name=name)
    return _(
        "Switched off <b>{name}</b>. It is listed in FEEDS_FILE, so it stays in the table but "
        "is no longer read; take it out of that file to drop it for good."
    ).format(name=name)


@operator_only
async def removefeed(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """List the feeds as buttons; /removefeed URL removes one directly."""
    _ = me._
    feeds = await _active_feeds(context)
    if not feeds:
        await reply(update, _("I don't read any feed yet."))
        return
    wanted = command_args(context, update)
    if wanted:
        target = next(
            (f for f in feeds if f.url == wanted or f.url == normalize_feed_url(wanted)), None
        )
        if target is None:
            await reply(update, _("I don't read that address. /sources lists the feeds."))
            return
        removed = await sources_service.remove_feed(services(context), target.id)
        await reply(update, _removed_text(removed, _) if removed else _("Already removed."))
        return
    await reply(
        update, _("Which feed should I stop reading?"), reply_markup=_removal_keyboard(feeds, 0, _)
    )


@operator_only
async def removefeed_button(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """A tap under /removefeed: remove that feed, or turn the page."""
    callback = update.callback_query
    assert callback is not None
    _ = me._
    tap = read_feed_removal(callback.data or "")
    if tap is None or not shows_buttons(callback.message, REMOVE_FEED):
        await answer(callback, _("That button is out of date."))
        return
    if tap.page is not None:
        feeds = await _active_feeds(context)
        await answer(callback)
        await callback.edit_message_reply_markup(_removal_keyboard(feeds, tap.page, _))
        return
    assert tap.feed is not None
    removed = await sources_service.remove_feed(services(context), tap.feed)
    if removed is None:
        await answer(callback, _("Already removed."))
        return
    await answer(callback, _("Removed."))
    await callback.edit_message_text(_removed_text(removed, _))


# --- /stats ----------------------------------------------------------------------------------


@operator_only
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """Counts an operator needs to see that the bot is well."""
    report = await sources_service.bot_stats(services(context), timezone=me.timezone)
    await reply(
        update, stats_text(report.numbers, report.last_poll_seconds, me._, me.ngettext, me.language)
    )
