"""`newsbot bench search`: /search over a million stored articles, next to a LIKE baseline.

Builds (or reuses, keyed by size, under ./bench-data/) a database of generated German and
English news articles through the real schema (Alembic migrations, FTS5 triggers), then runs a
fixed mix of 200 queries (rare words, common words, phrases, prefixes, AND/OR/NOT, filters)
through the same code path as `/search` (`parse_search` → `parse_query` → `db.search.search`
on the async engine) and prints p50/p95/max latency, database size, build rate and the
serving process's memory. The baseline is `search_contains` (LIKE '%word%' over headline
and teaser, newest first) on a subset of the queries, because it scans the table.

The build runs in a child process so that the memory printed is the serving process's own.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import sqlite3
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from bench.common import current_rss_mb, peak_rss_mb, table

NOW = datetime(2025, 10, 1, 12, 0, tzinfo=UTC)
"""The benchmark's "now": articles span the year before it; `since:` counts back from it."""
SPAN = timedelta(days=365)
CHUNK = 5_000
COMMIT_EVERY = 100_000
QUERY_COUNT = 200
PER_PAGE = 5
STORY_SHARE = 0.5
"""Of the articles, this share joins a story of the last `STORY_WINDOW` articles (about two
hours at a million a year): stories of about two articles, some of ten and more, as /search
groups them."""
STORY_WINDOW = 300

FEEDS = [
    ("Krone", "https://www.krone.at/rss", "de"),
    ("Der Standard", "https://www.derstandard.at/rss", "de"),
    ("Die Presse", "https://www.diepresse.com/rss", "de"),
    ("ORF News", "https://rss.orf.at/news.xml", "de"),
    ("Kurier", "https://kurier.at/xml/rss", "de"),
    ("Spiegel", "https://www.spiegel.de/schlagzeilen/index.rss", "de"),
    ("Zeit Online", "https://newsfeed.zeit.de/index", "de"),
    ("FAZ", "https://www.faz.net/rss/aktuell/", "de"),
    ("Süddeutsche", "https://rss.sueddeutsche.de/rss/Topthemen", "de"),
    ("Tagesschau", "https://www.tagesschau.de/xml/rss2", "de"),
    ("NZZ", "https://www.nzz.ch/recent.rss", "de"),
    ("Deutsche Welle", "https://rss.dw.com/rdf/rss-de-all", "de"),
    ("BBC News", "https://feeds.bbci.co.uk/news/rss.xml", "en"),
    ("The Guardian", "https://www.theguardian.com/world/rss", "en"),
    ("Reuters", "https://www.reuters.com/rss/world", "en"),
    ("AP News", "https://apnews.com/hub/world-news.rss", "en"),
    ("NPR", "https://feeds.npr.org/1001/rss.xml", "en"),
    ("Al Jazeera", "https://www.aljazeera.com/xml/rss/all.xml", "en"),
    ("CNN", "http://rss.cnn.com/rss/edition_world.rss", "en"),
    ("The Independent", "https://www.independent.co.uk/news/world/rss", "en"),
    ("Sky News", "https://feeds.skynews.com/feeds/rss/world.xml", "en"),
    ("ABC News", "https://abcnews.go.com/abcnews/internationalheadlines", "en"),
    ("Daily Mail", "https://www.dailymail.co.uk/news/worldnews/index.rss", "en"),
    ("Korea Herald", "https://www.koreaherald.com/rss/world.xml", "en"),
]


def _split(words: str) -> list[str]:
    return words.split("|")


# --- word lists: the common ones first (sampled with Zipf-like weights) ----------------------

PEOPLE = _split(
    "Putin|Trump|Selenskyj|Kim Jong-un|Xi Jinping|Macron|Merz|Scholz|Meloni|Erdoğan|Starmer|"
    "Stocker|Van der Bellen|Netanjahu|Modi|Lula|von der Leyen|Orbán|Babler|Kickl|Söder|Habeck|"
    "Biden|Harris|Musk|Lagarde|Guterres|Sánchez|Tusk|Fico|Milei|Ishiba|Lee Jae-myung|Kamala"
)
PEOPLE_EN = [p.replace("Selenskyj", "Zelensky").replace("Netanjahu", "Netanyahu") for p in PEOPLE]
PLACES_DE = _split(
    "Wien|Berlin|Nordkorea|China|Russland|Ukraine|Österreich|Deutschland|Köln|München|Zürich|"
    "Graz|Linz|Salzburg|Innsbruck|Hamburg|Frankfurt|Brüssel|Paris|London|Washington|Peking|"
    "Moskau|Kiew|Tokio|Seoul|Pjöngjang|Gaza|Israel|Iran|Syrien|Türkei|Italien|Spanien|Polen|"
    "Ungarn|Kärnten|Tirol|Vorarlberg|Steiermark|Bayern|Sachsen|Düsseldorf|Leipzig|Dresden"
)
PLACES_EN = _split(
    "Vienna|Berlin|North Korea|China|Russia|Ukraine|Austria|Germany|Cologne|Munich|Zurich|"
    "London|Paris|Washington|Beijing|Moscow|Kyiv|Tokyo|Seoul|Pyongyang|Gaza|Israel|Iran|Syria|"
    "Turkey|Italy|Spain|Poland|Hungary|New York|California|Texas|Florida|Brussels|Manchester|"
    "Sydney|Toronto|Mumbai|Delhi|Cairo|Lagos|Nairobi|Mexico|Brazil|Argentina|Taiwan|Japan"
)
NOUNS_DE = _split(
    "Regierung|Wahl|Rakete|Raketen|Fußball|Spiel|Polizei|Unfall|Gericht|Urteil|Klima|Hitze|"
    "Energie|Preise|Inflation|Zinsen|Bank|Börse|Aktie|Streik|Bahn|Flughafen|Schule|Lehrer|"
    "Studie|Gesundheit|Krankenhaus|Impfung|Wetter|Sturm|Hochwasser|Brand|Feuerwehr|Verkehr|"
    "Stau|Autobahn|Budget|Steuer|Reform|Pension|Arbeit|Unternehmen|Konzern|Gewinn|Verlust|"
    "Export|Zoll|Zölle|Handel|Gipfel|Treffen|Besuch|Reise|Gespräche|Verhandlungen|Waffenruhe|"
    "Angriff|Drohne|Drohnen|Armee|Soldaten|Sanktionen|Botschaft|Minister|Kanzler|Präsident|"
    "Partei|Koalition|Opposition|Parlament|Gesetz|Debatte|Umfrage|Skandal|Prozess|Anklage|"
    "Festnahme|Betrug|Diebstahl|Mord|Zeugen|Opfer|Mannschaft|Trainer|Tor|Sieg|Niederlage|"
    "Meisterschaft|Liga|Turnier|Rekord|Konzert|Film|Festival|Ausstellung|Museum|Buch|Preis|"
    "Forschung|Universität|Weltraum|Satellit|Technologie|Software|Daten|Hacker|Internet|Handy|"
    "Auto|Elektroauto|Batterie|Strom|Gas|Öl|Windkraft|Landwirtschaft|Bauern|Ernte|Wald|Tiere|"
    "Migration|Asyl|Grenze|Flüchtlinge|Sicherheit|Terror|Anschlag|Krieg|Frieden|Atomwaffen|"
    "Machthaber|Staatschef|Bürgermeister|Landtag|Gemeinde|Bezirk|Kinder|Familie|Wohnung|Miete"
)
NOUNS_EN = _split(
    "government|election|missile|missiles|football|match|police|crash|court|ruling|climate|"
    "heatwave|energy|prices|inflation|rates|bank|markets|shares|strike|rail|airport|school|"
    "teachers|study|health|hospital|vaccine|weather|storm|floods|fire|firefighters|traffic|"
    "motorway|budget|tax|reform|pensions|jobs|company|profits|losses|exports|tariffs|trade|"
    "summit|meeting|visit|trip|talks|negotiations|ceasefire|attack|drone|drones|army|troops|"
    "sanctions|embassy|minister|chancellor|president|party|coalition|opposition|parliament|law|"
    "debate|poll|scandal|trial|charges|arrest|fraud|theft|murder|witnesses|victims|team|coach|"
    "goal|win|defeat|championship|league|tournament|record|concert|film|festival|exhibition|"
    "museum|book|prize|research|university|space|satellite|technology|software|data|hackers|"
    "internet|phone|car|electric car|battery|power|gas|oil|wind power|farming|farmers|harvest|"
    "forest|animals|migration|asylum|border|refugees|security|terror|bombing|war|peace|nuclear|"
    "leader|mayor|council|children|families|housing|rent|spy|satellite launch|famine|protest"
)
VERBS_DE = _split(
    "kündigt an|warnt vor|trifft|besucht|kritisiert|fordert|plant|verliert|gewinnt|testet|"
    "startet|stoppt|beschließt|verschiebt|erhöht|senkt|lobt|droht mit|reist nach|verhandelt über|"
    "inspiziert|eröffnet|schließt|verteidigt|bestätigt|dementiert|untersucht|feiert"
)
VERBS_EN = _split(
    "announces|warns of|meets|visits|criticises|demands|plans|loses|wins|tests|launches|halts|"
    "approves|delays|raises|cuts|praises|threatens|travels to|negotiates|inspects|opens|closes|"
    "defends|confirms|denies|investigates|celebrates|fires|rejects|backs|blocks"
)
ADJ_DE = _split(
    "neue|große|seltene|umstrittene|geheime|schwere|erste|letzte|historische|mögliche|"
    "überraschende|offizielle|heftige|knappe|teure|riesige|kleine|lange|kurze|wichtige"
)
ADJ_EN = _split(
    "new|big|rare|controversial|secret|heavy|first|last|historic|possible|surprising|official|"
    "fierce|narrow|costly|huge|small|long|brief|key|major|fresh|deadly|record"
)
FILLER_DE = _split(
    "Am {day} wurde bekannt, dass {subject} {verb} {object}.|Laut {source} gibt es {adj} Kritik "
    "an {object}.|{subject} äußerte sich zunächst nicht.|Experten erwarten {adj} Folgen für "
    "{place}.|Die Lage in {place} bleibt angespannt.|Mehr dazu lesen Sie hier.|Nach Angaben "
    "der {noun} waren {number} Menschen betroffen.|Die {noun} hat {number} Millionen Euro "
    "gekostet.|In {place} gingen {number} Menschen auf die Straße."
)
FILLER_EN = _split(
    "On {day} it emerged that {subject} {verb} {object}.|According to {source}, there is "
    "{adj} criticism of the {object}.|{subject} did not immediately comment.|Experts expect "
    "{adj} consequences for {place}.|The situation in {place} remains tense.|Read more here."
    "|Officials said {number} people were affected by the {noun}.|The {noun} cost {number} "
    "million dollars.|In {place}, {number} people took to the streets."
)
DAYS_DE = _split("Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag")
DAYS_EN = _split("Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday")
# Rare words: German compounds and invented surnames, each used in few articles.
COMPOUND_HEADS = _split(
    "Raketen|Atom|Klima|Bahn|Polizei|Gemeinde|Landes|Bundes|Stadt|Wasser|Strom|Gas|Zoll|Steuer|"
    "Schul|Kinder|Wald|Berg|Ski|Wein|Milch|Brot|Hafen|Grenz|Flug|Daten|Handy|Auto|Wahl|Budget"
)
COMPOUND_TAILS = _split(
    "fabrik|gipfel|streit|reform|skandal|chef|debatte|gesetz|krise|plan|programm|bericht|"
    "prüfung|verbot|paket|abkommen|rekord|ausfall|projekt|netz|werk|amt|preis|test"
)
SYLLABLES = "bra|den|kow|ski|mar|tin|hol|zer|vel|lun|ger|sto|pik|ran|mer|dol|fes|gan|rud|wit"
SYLLABLES_LIST = _split(SYLLABLES)


def _zipf(items: Sequence[str]) -> tuple[Sequence[str], list[float]]:
    return items, list(accumulate(1.0 / (rank + 1) for rank in range(len(items))))


@dataclass(frozen=True)
class _Language:
    code: str
    people: tuple[Sequence[str], list[float]]
    places: tuple[Sequence[str], list[float]]
    nouns: tuple[Sequence[str], list[float]]
    verbs: tuple[Sequence[str], list[float]]
    adjectives: Sequence[str]
    fillers: Sequence[str]
    days: Sequence[str]


GERMAN = _Language(
    "de",
    _zipf(PEOPLE),
    _zipf(PLACES_DE),
    _zipf(NOUNS_DE),
    _zipf(VERBS_DE),
    ADJ_DE,
    FILLER_DE,
    DAYS_DE,
)
ENGLISH = _Language(
    "en",
    _zipf(PEOPLE_EN),
    _zipf(PLACES_EN),
    _zipf(NOUNS_EN),
    _zipf(VERBS_EN),
    ADJ_EN,
    FILLER_EN,
    DAYS_EN,
)


def _pick(rng: random.Random, weighted: tuple[Sequence[str], list[float]]) -> str:
    items, cumulative = weighted
    return rng.choices(items, cum_weights=cumulative)[0]


def _rare_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES_LIST) for _ in range(3)).capitalize()


def _compound(rng: random.Random) -> str:
    return rng.choice(COMPOUND_HEADS) + rng.choice(COMPOUND_TAILS)


def _headline(rng: random.Random, lang: _Language) -> str:
    person, place = _pick(rng, lang.people), _pick(rng, lang.places)
    noun, verb = _pick(rng, lang.nouns), _pick(rng, lang.verbs)
    adjective = rng.choice(lang.adjectives)
    if rng.random() < 0.08:
        noun = _compound(rng) if lang.code == "de" else _rare_name(rng) + " " + noun
    form = rng.randrange(6)
    if form == 0:
        return f"{person} {verb} {noun} in {place}"
    if form == 1:
        return (
            f"{place}: {adjective.capitalize()} {noun} – {person} {verb} {_pick(rng, lang.nouns)}"
        )
    if form == 2:
        return f"{noun.capitalize()}: {person} {verb} {place}"
    if form == 3:
        return f"{adjective.capitalize()} {noun} in {place}"
    if form == 4:
        return f"{rng.randint(2, 900)} {_pick(rng, lang.nouns)} – {noun} in {place}"
    return f"„{noun.capitalize()}“: {person} {verb} {_pick(rng, lang.nouns)}"


def _teaser(rng: random.Random, lang: _Language) -> str:
    sentences = []
    for _ in range(rng.randint(2, 4)):
        template = rng.choice(lang.fillers)
        sentences.append(
            template.format(
                day=rng.choice(lang.days),
                subject=_pick(rng, lang.people),
                verb=_pick(rng, lang.verbs),
                object=_pick(rng, lang.nouns),
                source=_pick(rng, lang.people),
                adj=rng.choice(lang.adjectives),
                place=_pick(rng, lang.places),
                noun=_compound(rng)
                if lang.code == "de" and rng.random() < 0.1
                else _pick(rng, lang.nouns),
                number=rng.randint(2, 5000),
            )
        )
    if rng.random() < 0.05:
        sentences.append(_rare_name(rng) + (" sagte." if lang.code == "de" else " said."))
    return " ".join(sentences)


def _stamp(moment: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime stores (naive UTC, microseconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def generate_chunk(
    job: tuple[int, int, int, int],
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Articles `start..start+count` of `total` (rows for `articles`, rows for `search_docs`).

    Deterministic per chunk, so a build is the same whichever worker makes which chunk.
    """
    from db.search import document
    from feeds.story_keys import title_key

    start, count, total, seed = job
    rng = random.Random(seed * 1_000_003 + start)
    first_moment = NOW - SPAN
    articles: list[tuple[object, ...]] = []
    documents: list[tuple[object, ...]] = []
    recent: list[tuple[int, str]] = []  # (story, headline) of the chunk's latest articles
    for article_id in range(start + 1, start + count + 1):
        fetched = first_moment + SPAN * (article_id / total)
        feed_index = rng.randrange(len(FEEDS))
        _feed_title, feed_url, code = FEEDS[feed_index]
        lang = GERMAN if code == "de" else ENGLISH
        roll = rng.random()
        if roll < 0.03:  # a new feed's backlog: published days before it was fetched
            published = fetched - timedelta(days=rng.uniform(1, 30))
        elif roll < 0.031:  # a feed with a wrong time zone: "published" in the future
            published = fetched + timedelta(hours=rng.uniform(1, 3))
        else:
            published = fetched - timedelta(minutes=rng.uniform(0, 120))
        title = _headline(rng, lang)
        story = article_id
        if recent and rng.random() < STORY_SHARE:
            # Another outlet reports a story of the last hours, most often in the same words:
            # a common word's newest matches are then several articles of one story.
            story, title = rng.choice(recent[-STORY_WINDOW:])
        recent.append((story, title))
        teaser = _teaser(rng, lang)
        host = feed_url.split("/")[2]
        link = f"https://{host}/{published:%Y/%m/%d}/article-{article_id}"
        feed_id = feed_index + 1
        articles.append(
            (
                article_id,
                feed_id,
                story,
                link,
                link,
                link,
                title,
                title_key(title),
                teaser,
                code,
                _stamp(published),
                _stamp(fetched),
            )
        )
        documents.append(document(article_id, feed_id, title, teaser, code, published, fetched))
    return articles, documents


_INSERT_ARTICLE = (
    "INSERT INTO articles (id, feed_id, story_id, guid, link, canonical_link, title, title_key, "
    "teaser, language, published_at, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_DOC = (
    "INSERT INTO search_docs (id, sort_at, title_norm, teaser_norm, meta) VALUES (?, ?, ?, ?, ?)"
)


def _jobs(total: int, seed: int) -> Iterator[tuple[int, int, int, int]]:
    for start in range(0, total, CHUNK):
        yield start, min(CHUNK, total - start), total, seed


def build(path: Path, total: int, *, workers: int, seed: int = 1) -> float:
    """Create the benchmark database through the real schema; returns articles per second."""
    from db.engine import migrate

    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    migrate(f"sqlite:///{path}")
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    # Bulk-load settings for this connection only; the serving side uses the app's pragmas.
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")
    connection.execute("PRAGMA temp_store=MEMORY")
    connection.executemany(
        "INSERT INTO feeds (id, url, title, origin, trusted, active, language, backlog_done, "
        "consecutive_failures, created_at) VALUES (?, ?, ?, 'file', 1, 1, ?, 1, 0, ?)",
        [
            (i + 1, url, title, code, _stamp(NOW - SPAN))
            for i, (title, url, code) in enumerate(FEEDS)
        ],
    )
    if workers > 1:
        context = multiprocessing.get_context("fork")
        pool = context.Pool(workers)
        chunks: Iterator[tuple[list[tuple[object, ...]], list[tuple[object, ...]]]] = pool.imap(
            generate_chunk, _jobs(total, seed)
        )
    else:
        pool = None
        chunks = map(generate_chunk, _jobs(total, seed))
    try:
        done = 0
        connection.execute("BEGIN")
        for articles, documents in chunks:
            connection.executemany(_INSERT_ARTICLE, articles)
            connection.executemany(_INSERT_DOC, documents)
            done += len(articles)
            if done % COMMIT_EVERY == 0:
                connection.execute("COMMIT")
                connection.execute("BEGIN")
                rate = done / (time.perf_counter() - started)
                print(f"  built {done:,} articles ({rate:,.0f}/s)", flush=True)
        connection.execute("COMMIT")
        # Merge the FTS5 segments written during the load: the served index is one b-tree.
        connection.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        connection.close()
    return total / (time.perf_counter() - started)


# --- the query mix ---------------------------------------------------------------------------

COMMON = _split(
    "Putin|Trump|Regierung|police|Wien|election|Polizei|government|Ukraine|China|Russland|"
    "Preise|missile|Klima|summit|Berlin|Wahl|Gericht|court|Energie"
)
MIDDLE = _split(
    "Hochwasser|Raketenfabrik|Zürich|Köln|Koeln|Fussball|Lagarde|Habeck|Ishiba|famine|spy|"
    "Waffenruhe|ceasefire|Atomwaffen|Satellit|nuclear|Tirol|Kärnten|Pension|tariffs"
)
PHRASES = _split(
    '"Kim Jong-un"|"Xi Jinping"|"von der Leyen"|"North Korea"|"Van der Bellen"|"electric car"|'
    '"wind power"|"Lee Jae-myung"|"New York"|"satellite launch"'
)
PREFIXES = _split("Raket*|Klima*|Bank*|Wahl*|Fußball*|elect*|sanction*|Kim*|Budget*|Polizei*")
COMBINED = _split(
    "Putin Trump|China OR Russland|Kim -Trump|(Wien OR Berlin) Polizei|title:Putin Gipfel|"
    "Nordkorea Rakete|missile -Iran|Meloni OR Macron|Merz Koalition|police (London OR Manchester)"
    "|Zölle Trump -China|title:Selenskyj|Klima Hitze|Bahn Streik|election -Trump|Nordkorea"
)
FILTERS = _split(
    "Putin since:7d|Fußball source:krone|police lang:en|Wetter since:2025-09-01 lang:de|"
    "Trump source:bbc|Regierung source:standard since:30d|Kim since:24h|missile lang:de|"
    "source:orf|Wahl lang:de since:2w"
)


def query_mix(total_rows: int, seed: int = 1) -> list[str]:
    """The fixed 200 queries: every kind of query, rare words drawn from the built data."""
    rng = random.Random(seed)
    rare = [_rare_name(rng) for _ in range(15)] + [_compound(rng) for _ in range(15)]
    kinds = [COMMON, MIDDLE, PHRASES, PREFIXES, COMBINED, FILTERS, rare]
    mix: list[str] = []
    i = 0
    while len(mix) < QUERY_COUNT:
        for kind in kinds:
            mix.append(kind[i % len(kind)])
        i += 1
    del total_rows
    return mix[:QUERY_COUNT]


# --- serving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    p50: float
    p95: float
    maximum: float
    count: int


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_contains(
    session: Any, words: Sequence[str], *, limit: int = 5, offset: int = 0
) -> list[Any]:
    """Newest articles whose title or teaser contains every word: the LIKE baseline of the
    search benchmark (bound parameters only; no index can help it)."""
    from sqlalchemy import or_

    from db import search
    from db.models import Article

    query = (
        search.result_query()
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(limit)
        .offset(offset)
    )
    for word in words:
        pattern = _like_pattern(word)
        query = query.where(
            or_(
                Article.title.ilike(pattern, escape="\\"),
                Article.teaser.ilike(pattern, escape="\\"),
            )
        )
    from feeds.search_request import SearchResult

    return [SearchResult(*row) for row in await session.execute(query)]


def _timing(samples: Sequence[float]) -> Timing:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Timing(statistics.median(ordered), p95, ordered[-1], len(ordered))


async def _serve(
    database_url: str, queries: Sequence[str], baseline_every: int
) -> dict[str, object]:

    from db.engine import make_engine, make_sessionmaker
    from db.search_backend import search_backend
    from feeds.query import parse_query
    from feeds.search_request import parse_search

    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    index = search_backend(database_url)

    async def one(text: str, *, relevance: bool = False) -> tuple[float, int]:
        started = time.perf_counter()
        request = parse_search(text + (" sort:relevance" if relevance else ""), now=NOW)
        query = parse_query(request.query_text) if request.query_text else None
        async with sessions() as session:
            page = await index.search(session, request, query, page=0, per_page=PER_PAGE)
        return time.perf_counter() - started, len(page.results)

    try:
        await one("warmup Putin")
        newest = [await one(text) for text in queries]
        slowest = sorted(zip(newest, queries, strict=True), reverse=True)[:5]
        relevance = [await one(text, relevance=True) for text in queries[::4]]
        deep = []
        for text in queries[::10]:
            request = parse_search(text, now=NOW)
            query = parse_query(request.query_text) if request.query_text else None
            started = time.perf_counter()
            async with sessions() as session:
                await index.search(session, request, query, page=10)
            deep.append(time.perf_counter() - started)
        like = []
        for text in queries[::baseline_every]:
            words = parse_search(text, now=NOW).query_text.replace('"', " ").split()
            words = [w.strip("()*") for w in words if w not in ("OR",) and not w.startswith("-")]
            words = [w.removeprefix("title:") for w in words if w.strip("()*")]
            started = time.perf_counter()
            async with sessions() as session:
                await search_contains(session, words or ["a"], limit=PER_PAGE + 1)
            like.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    return {
        "newest": _timing([t for t, _n in newest]),
        "hits": sum(1 for _t, n in newest if n),
        "slowest": [(f"{t * 1000:.1f} ms", q) for (t, _n), q in slowest],
        "relevance": _timing([t for t, _n in relevance]),
        "deep": _timing(deep),
        "like": _timing(like),
        "rss": current_rss_mb(),
        "peak": peak_rss_mb(),
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _size_mb(path: Path) -> float:
    wal = path.with_name(path.name + "-wal")
    return (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1e6


def _built_size(path: Path) -> int:
    """Articles in a benchmark database built by this generator; -1 for none or an older one
    (built before stories: every article its own)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            row = connection.execute("SELECT count(*) FROM search_docs").fetchone()
            grouped = connection.execute(
                "SELECT 1 FROM articles WHERE story_id <> id LIMIT 1"
            ).fetchone()
    except sqlite3.Error:
        return -1
    return int(row[0]) if grouped is not None else -1


def _build_child(path: Path, total: int, workers: int, rates: Any) -> None:
    rates.put(build(path, total, workers=workers))


def _build_in_child(path: Path, total: int, workers: int) -> float:
    """Build in a child process, so that the memory printed is the serving process's own."""
    context = multiprocessing.get_context("fork")
    rates = context.SimpleQueue()
    child = context.Process(target=_build_child, args=(path, total, workers, rates))
    child.start()
    child.join()
    if child.exitcode != 0 or rates.empty():
        raise SystemExit(f"building the benchmark database failed (exit code {child.exitcode})")
    return float(rates.get())


async def _copy_to(path: Path, postgres_url: str) -> None:
    from db.copy import copy_database

    counts = await copy_database(f"sqlite:///{path}", postgres_url, batch=5000)
    if not all(each.complete for each in counts):
        raise SystemExit(f"copying to {postgres_url} fell short: {counts}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="newsbot bench search")
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None, help="default: bench-data/search-N.db")
    parser.add_argument("--rebuild", action="store_true", help="build even if the file exists")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--baseline-every", type=int, default=10, help="LIKE runs every n-th query (it scans)"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=None,
        help="serve from this PostgreSQL database, filled from the SQLite one by `db copy`",
    )
    args = parser.parse_args(argv)
    path: Path = args.db or Path("bench-data") / f"search-{args.articles}.db"
    build_rate: str = "reused"
    if args.rebuild or _built_size(path) != args.articles:
        print(f"building {args.articles:,} articles in {path} ({args.workers} workers)…")
        build_rate = f"{_build_in_child(path, args.articles, args.workers):,.0f} articles/s"
    queries = query_mix(args.articles)
    database_url = f"sqlite:///{path}"
    from db.engine import migrate

    migrate(database_url)  # a reused database gets the indexes of newer revisions
    if args.postgres:
        database_url = args.postgres
        started = time.perf_counter()
        asyncio.run(_copy_to(path, args.postgres))
        print(f"copied to PostgreSQL in {time.perf_counter() - started:,.0f} s")
    result = asyncio.run(_serve(database_url, queries, args.baseline_every))
    newest, relevance, deep, like = (
        result["newest"],
        result["relevance"],
        result["deep"],
        result["like"],
    )
    assert isinstance(newest, Timing) and isinstance(relevance, Timing)
    assert isinstance(deep, Timing) and isinstance(like, Timing)
    rows = [
        (
            f"/search newest first ({newest.count} queries)",
            _ms(newest.p50),
            _ms(newest.p95),
            _ms(newest.maximum),
        ),
        (
            f"page 11, newest first ({deep.count} queries)",
            _ms(deep.p50),
            _ms(deep.p95),
            _ms(deep.maximum),
        ),
        (
            f"sort:relevance, bm25 ({relevance.count} queries)",
            _ms(relevance.p50),
            _ms(relevance.p95),
            _ms(relevance.maximum),
        ),
        (
            f"baseline: LIKE, newest first ({like.count} queries)",
            _ms(like.p50),
            _ms(like.p95),
            _ms(like.maximum),
        ),
    ]
    print(f"\nsearch over {args.articles:,} articles (German and English), {database_url}")
    print(table(("measure", "p50", "p95", "max"), rows))
    print()
    print(
        table(
            ("database", "build rate", "queries with hits", "RSS serving", "peak RSS serving"),
            [
                (
                    f"{_size_mb(path):,.0f} MB",
                    build_rate,
                    f"{result['hits']}/{newest.count}",
                    f"{result['rss']:.0f} MB",
                    f"{result['peak']:.0f} MB",
                )
            ],
        )
    )
    ratios = [
        f"{name} {a / max(b, 1e-9):,.0f}×"
        for name, a, b in (
            ("p50", like.p50, newest.p50),
            ("p95", like.p95, newest.p95),
            ("max", like.maximum, newest.maximum),
        )
    ]
    print(
        f"\nLIKE / FTS5, newest first: {', '.join(ratios)} (LIKE walks the newest articles "
        "first, so common words are quick; rare words scan the whole table)"
    )
    print("slowest newest-first queries:")
    for taken, text in result["slowest"]:  # type: ignore[attr-defined]
        print(f"  {taken:>10}  {text}")
