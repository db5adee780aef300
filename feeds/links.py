"""Canonical form of article links, so that one story is recognized under its URL variants.

Publishers decorate the same URL differently per channel (`?at_medium=RSS&at_campaign=rss` at
the BBC, `?ref=rss` at derStandard, `#ref=rss` at SPIEGEL, `utm_*` everywhere). The canonical
link drops what does not identify the page and keeps everything else in its original order.
"""

from __future__ import annotations

from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMETERS", "TRACKING_PREFIXES", "canonical_link"]

TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "at_", "wt_", "pk_", "mtm_", "itm_", "__twitter")
"""Query-parameter name prefixes that only ever carry campaign tracking.

`utm_` (Google Analytics), `at_` (AT Internet, e.g. BBC `at_medium`/`at_campaign`), `wt_`
(Webtrekk, e.g. heise `wt_mc`), `pk_`/`mtm_` (Matomo/Piwik), `itm_` (internal campaigns).
"""

TRACKING_PARAMETERS: frozenset[str] = frozenset(
    {
        "fbclid",  # Facebook click id
        "gclid",  # Google Ads click id
        "dclid",  # Google display click id
        "msclkid",  # Microsoft Ads click id
        "yclid",  # Yandex click id
        "igshid",  # Instagram share id
        "mc_cid",  # Mailchimp campaign
        "mc_eid",  # Mailchimp subscriber
        "ocid",  # Microsoft/MSN origin campaign
        "cmpid",  # campaign id (Guardian, many others)
        "ref",  # referrer marker (derStandard `?ref=rss`)
        "ref_src",  # Twitter referrer
        "feedtype",  # Reuters `feedType=RSS`
        "feedname",  # Reuters `feedName=worldNews`
        "partner",  # NYT `partner=rss`
        "emc",  # NYT `emc=rss`
        "xtor",  # AT Internet (Le Monde `xtor=RSS-3208`)
        "wt.mc_id",  # Webtrekk campaign
        "ito",  # Guardian internal tracking
        "_ga",  # Google Analytics linker
        "_gl",  # Google Analytics linker
    }
)
"""Query-parameter names (compared case-insensitively) that never select content.

Kept deliberately short: a parameter wrongly dropped would merge two different articles into
one (a lost alert), while one wrongly kept only costs a duplicate that other checks catch.
"""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def _netloc(parts: SplitResult, scheme: str) -> str:
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: keep the URL's own spelling
        return parts.netloc.lower()
    userinfo = ""
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        userinfo += "@"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        return f"{userinfo}{host}:{port}"
    return f"{userinfo}{host}"


def canonical_link(url: str) -> str:
    """The URL with scheme/host lower-cased, default port, fragment and tracking removed.

    Strings that are not absolute http(s) URLs come back stripped but otherwise unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.netloc:
        return url
    # Filter the raw `name=value` pieces so that kept ones keep the publisher's exact spelling.
    query = "&".join(
        piece
        for piece in parts.query.split("&")
        if piece and not _is_tracking(unquote_plus(piece.partition("=")[0]))
    )
    path = parts.path or "/"
    return urlunsplit((scheme, _netloc(parts, scheme), path, query, ""))
