"""The matcher: which subscriptions an article reaches, in any language, at any size."""

# ruff: noqa: E501 - the labelled set quotes real headlines whole, one pair per line

from __future__ import annotations

import html
import random
import re
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench.match import generate_articles, generate_queries, naive_regex, run
from feeds.matcher import Matcher
from feeds.normalize import Position, analyze
from feeds.query import And, Node, Not, Or, Query, QueryError, Term, parse_query

GERMAN = "Für eine seiner seltenen Auslandsreisen ist Nordkoreas Machthaber Kim Jong-un …"

MUST_HOLD = [
    ("Nordkorea", GERMAN, "", True),
    ("North Korea", GERMAN, "", True),
    ('"Kim Jong Un"', "Nordkoreas Machthaber Kim Jong-un", "", True),
    ("Kim", "Kimberly Clark shares fall", "", False),
    ("Kim*", "Kimberly Clark shares fall", "", True),
    ("Korea -South", "South Korea's president visits Tokyo", "", False),
    ("Korea -South", "North Korea fires missile", "", True),
    ("title:Putin", "Kim fährt nach China", "Kim könnte in Peking Wladimir Putin treffen.", False),
    ("China OR Russland", "Seltene Auslandsreise: Kim fährt nach China", "", True),
    ("Raketen*", "Kim inspizierte eine neue Raketenfabrik", "", True),
    ("Fußball", "Fussball-WM: Österreich gewinnt", "", True),
    ("missile", "North Korea test-fires two missiles", "", True),
    ("북한", "북한은 오늘 미사일을 발사했다", "", True),
    # More of the same kind.
    ("Korea", "Koreanische Kultur in Wien", "", False),
    ("Koeln", "Anschlag in Köln", "", True),
    ("Lodz", "Wahl in Łódź", "", True),
    ('"kim jong un"', "KIM JONG‑UN TRIFFT PUTIN", "", True),
    ("title:Putin", "Putin trifft Kim", "", True),
    ("Putin", "Kim fährt nach China", "Kim könnte in Peking Wladimir Putin treffen.", True),
    ("Nordkorea", "КНДР запустила баллистическую ракету", "", True),
    ("North Korea", "北朝鮮が弾道ミサイルを発射", "", True),
    ("North Korea", "La Corée du Nord a tiré un missile", "", True),
    ("Südkorea", "North Korea fires missile", "", False),
    ("Kim -Kimberly", "Kim Kardashian and Kimberly", "", False),
    ('"Kim Jong"', "Kim trifft Jong", "", False),
    ("title:Kim", "Putin und Xi", "Kim kommt nach Peking", False),
    ('"north korea"', "A north wind over Korea", "", False),
    ("Rakete", "Nordkorea testet neue Raketen", "", True),
    ("Trump", "Donald Trumps Zölle", "", True),
    # A German word matches the compounds it starts or heads (issue 12); quoted, only itself.
    ("sport", "Kim: Besuch beim Sportminister", "", True),
    ('"sport"', "Kim: Besuch beim Sportminister", "", False),
    ("Rakete*", "Nordkorea testet Motor von Interkontinentalrakete", "", True),
    ("Rakete", "Nordkorea testet Motor von Interkontinentalrakete", "", True),
    ("Rakete", "Erfolgreicher Raketenstart in Kasachstan", "", True),
    ("Korea", "Nordkorea testet Motor von Interkontinentalrakete", "", True),
    ("Korea", "Wahl in Südkorea", "", True),
    ('"Korea"', "Wahl in Südkorea", "", False),
    ("Kim", "Kimchi aus Wien", "", False),
    ("Nordkorea", "Wahl in Südkorea", "", False),
    # Demonyms, people and places across scripts (issue 12).
    ("North Korea", "North Korean leader Kim Jong Un could hold first summit with Putin", "", True),
    ("Nordkorea", "Nordkoreanische Soldaten an der Front", "", True),
    ("Putin", "Путин и Си Цзиньпин завершили переговоры в Пекине", "", True),
    ("Putin", "Встреча с Путиным", "", True),
    ("Путин", "Putin meets Xi in Beijing", "", True),
    ("Putin", "普京抵达北京", "", True),
    ("Putin", "푸틴, 평양 도착", "", True),
    ("Putin", "Poutine reçu à Pékin", "", True),
    ("Putin", "La poutine, plat national du Québec", "", False),
    ("Putin", "Rasputin returns to the stage", "", False),
    ("Xi Jinping", "Путин и Си Цзиньпин завершили переговоры в Пекине", "", True),
    ("Xi Jinping", "习近平会见普京", "", True),
    ("Kim Jong Un", "김정은, 미사일 발사 참관", "", True),
    ("Kim Jong Un", "Ким Чен Ын посетил завод", "", True),
    ("Pyongyang", "Besuch in Pjöngjang", "", True),
    ("Pyongyang", "평양에서 열린 회담", "", True),
    ("Nordkorea", "КНР и Россия подписали соглашение", "", False),
    ("North Korea", "北韓試射飛彈", "", True),
    ("North Korea", "북한의 미사일 발사", "", True),
    ("North Korea", "북한산 등산로 일부 통제", "", False),
    ("Südkorea", "Democratic People's Republic of Korea fires missile", "", False),
    ('"Putin"', "Путин и Си Цзиньпин", "", False),
    ("Navalny", "Соратники Навального задержаны", "", True),
]


@pytest.mark.parametrize(("query", "title", "teaser", "expected"), MUST_HOLD)
def test_must_hold(query: str, title: str, teaser: str, expected: bool) -> None:
    matcher = Matcher.build([(7, parse_query(query))])
    assert bool(matcher.match(title, teaser)) is expected


def _seed() -> tuple[str, str, str]:
    path = Path(__file__).parents[1] / "data" / "seed" / "krone-de-kim-china.xml"
    item = ET.parse(path).getroot().find("channel/item")
    assert item is not None
    title = item.findtext("title") or ""
    teaser = html.unescape(re.sub(r"<[^>]+>", " ", item.findtext("description") or ""))
    return title, " ".join(teaser.split()), "de"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Nordkorea", True),
        ("North Korea", True),
        ('"Kim Jong Un"', True),
        ("Putin", True),
        ("Pjöngjang", True),
        ("Xi Jinping", True),
        ("China", True),
        ("Fußball", False),
        ("Südkorea", False),
        ("title:Putin", False),
    ],
)
def test_the_seed_article(query: str, expected: bool) -> None:
    title, teaser, language = _seed()
    matcher = Matcher.build([(1, parse_query(query))])
    assert bool(matcher.match(title, teaser, language)) is expected


def test_many_subscriptions_at_once_say_which_matched() -> None:
    queries = ["Nordkorea", "North Korea", '"Kim Jong Un"', "Putin", "Fußball", "Trump", "Kim*"]
    matcher = Matcher.build((n, parse_query(q)) for n, q in enumerate(queries))
    title, teaser, language = _seed()
    assert matcher.match(title, teaser, language) == {0, 1, 2, 3, 6}
    assert len(matcher) == len(queries)


# A hand-labelled set from real headlines (and teasers) of the corpus feeds: would a reader who
# subscribed to the query want this article? Labels are what a reader wants, not what the
# matcher promises, so the known limits (adjectives, compounds, ambiguous country names,
# word translations, idioms) count against it.
LABELLED: list[tuple[str, str, str, bool]] = [
    (
        "Nordkorea",
        "North Korea fires ballistic missile towards sea, says South Korean military",
        "",
        True,
    ),
    ("Nordkorea", "North Korea holds mass rally to push Kim Jong Un’s New Year message", "", True),
    ("Nordkorea", "South Korea to deploy laser weapons to target North Korean drones", "", True),
    ("Nordkorea", "Japan recalls envoy to South Korea over comfort-woman statue", "", False),
    (
        "North Korea",
        "Nuclear, missile tests show ‘qualitative’ improvement in North Korea capabilities: US",
        "",
        True,
    ),
    (
        '"Kim Jong Un"',
        "North Korea holds mass rally to push Kim Jong Un’s New Year message",
        "",
        True,
    ),
    (
        "Kim",
        "Stormy Daniels on Jimmy Kimmel: porn actor casts doubt on denial of Trump affair – video",
        "",
        False,
    ),
    ("Putin", "Patience with Putin may be ebbing among friendlier countries", "", True),
    ("Putin", "Putin äußert sich zu massiven Internetsperren in Russland", "", True),
    ("Putin", "Putin’s Russia: the enigma continues", "", True),
    (
        "Putin",
        "Russia said scaling back its Syria military presence, withdrawing carrier",
        "Russia said Friday it is withdrawing its aircraft carrier and other warships from the waters off Syria, following orders from President Vladimir Putin to scale back.",
        True,
    ),
    (
        "title:Putin",
        "Russia said scaling back its Syria military presence, withdrawing carrier",
        "Russia said Friday it is withdrawing its aircraft carrier, following orders from President Vladimir Putin.",
        False,
    ),
    ("Trump", "Russian officials celebrated President-elect Donald Trumps win: Report", "", True),
    ("Trump", "The King faces biggest test of his reign as he heads to visit Trump", "", True),
    ("Trump", "Seven dead in major Russian attack on Ukraine", "", False),
    (
        '"Donald Trump"',
        "Trump’s speech was bad. The Democrats' response to it was worse",
        "",
        False,
    ),
    (
        '"Stormy Daniels"',
        "Porn actor Stormy Daniels casts doubt on denial of affair with Trump",
        "",
        True,
    ),
    ("Russland", "Report on US election hacking says Russia plans to do more", "", True),
    ("Russland", "Seven dead in major Russian attack on Ukraine", "", True),
    ("Russland", "Russia-backed Syrian peace talks agree deal on new constitution", "", True),
    (
        "Russland -Ukraine",
        "Ukraine war to take centre stage at UN as west and Russia vie for support",
        "",
        False,
    ),
    ("Ukraine", "Ukraine - Kiewer Marathon mit Höhen und Tiefen", "", True),
    (
        "Ukraine",
        "Balkan und die Türkei - EU-Erweiterung: Wer wird das nächste EU-Mitglied?",
        "",
        False,
    ),
    ("Türkei", "Turkey parliament to debate expanding Recep Tayyip Erdogan powers", "", True),
    (
        "Türkei",
        "Social-Media-Verbot: Türkei stimmt dafür, Norwegen arbeitet an Gesetzesentwurf",
        "",
        True,
    ),
    ("Turkey", "Two killed in new Turkey attack as Istanbul gunman hunted", "", True),
    ("China", "American bull in a china shop", "", False),
    ("China", "Erster nichtstaatlicher Raketenstart in China fehlgeschlagen", "", True),
    ("China", "Russia’s allies China and India call for negotiations to end Ukraine war", "", True),
    ("Raketen*", "Erster nichtstaatlicher Raketenstart in China fehlgeschlagen", "", True),
    ("Rakete", "Erster nichtstaatlicher Raketenstart in China fehlgeschlagen", "", True),
    (
        "missile",
        "North Korea fires ballistic missile towards sea, says South Korean military",
        "",
        True,
    ),
    ("Iran -Trump", "Protests spread in Iran as President Raisi vows to crack down", "", True),
    (
        "Iran -Trump",
        "Top US senator expects Donald Trump administration to enforce Iran deal",
        "",
        False,
    ),
    ("Brexit", "Restaurants machen dicht: Jamie Olivers Rezept für den Brexit", "", True),
    ("Brexit", "Scotland says could put secession on hold if UK avoids ‘hard Brexit’", "", True),
    ("Merkel", "Angela Merkel’s conservatives gain support despite Berlin attack: poll", "", True),
    ("Mexiko", "Donald Trump asking Congress, not Mexico, to pay for border wall", "", True),
    ('"Xi Jinping"', "Xi Jinping says China’s anti-corruption battle must go deeper", "", True),
    ("Fußball", "Harry Styles stadium show falls foul of football fans in Bogotá", "", True),
    ("Fußball", "Seltene Auslandsreise: Kim fährt nach China", "", False),
    ("Apple -Nike", "Apple and Nike brace for China's wrath after Huawei ban", "", False),
    (
        "Japan",
        "‘Trump shock’ after Toyota tweet reverberates as Japan business community reacts with concern",
        "",
        True,
    ),
    (
        "Georgien",
        "Europe urged to accept Russians fleeing draft; 10km queue reported at frontier with Georgia",
        "",
        True,
    ),
]


def _precision_recall() -> tuple[float, float, list[str]]:
    tp = fp = fn = 0
    wrong = []
    for query, title, teaser, wanted in LABELLED:
        got = bool(Matcher.build([(1, parse_query(query))]).match(title, teaser))
        tp += got and wanted
        fp += got and not wanted
        fn += wanted and not got
        if got != wanted:
            wrong.append(f"{query!r} on {title[:50]!r}: got {got}")
    return tp / (tp + fp), tp / (tp + fn), wrong


def test_precision_and_recall_on_real_headlines() -> None:
    precision, recall, wrong = _precision_recall()
    print(f"\nprecision {precision:.2f}, recall {recall:.2f} on {len(LABELLED)} pairs")
    print("\n".join(wrong))
    assert len(LABELLED) >= 40
    # Measured: precision 0.96, recall 0.82 (44 pairs). The one false alert is an idiom ("a
    # bull in a china shop"); the misses are the documented limits: adjectives ("Russian",
    # "North Korean drones"), compounds ("Raketenstart" for Rakete), ambiguous country names
    # (Turkey, Georgia match only literally) and translations of common words (football).
    assert precision >= 0.95
    assert recall >= 0.80


def test_added_and_removed_subscriptions_count_for_the_next_article() -> None:
    matcher = Matcher.build([(1, parse_query("Putin")), (2, parse_query("Fußball"))])
    title, teaser, language = _seed()
    assert matcher.match(title, teaser, language) == {1}
    matcher.add(3, parse_query("Nordkorea"))
    matcher.add(4, parse_query("Kim*"))
    assert matcher.match(title, teaser, language) == {1, 3, 4}
    matcher.remove(1)
    matcher.remove(4)
    matcher.remove(99)  # unknown: ignored
    assert matcher.match(title, teaser, language) == {3}
    matcher.add(2, parse_query("China"))  # replaces Fußball
    matcher.add(3, parse_query("Fußball"))  # replaces a pending one
    assert matcher.match(title, teaser, language) == {2}
    assert matcher.pending > 0
    matcher.compact()
    assert matcher.pending == 0
    assert matcher.match(title, teaser, language) == {2}
    assert len(matcher) == 2


def test_compaction_in_a_worker_thread_keeps_changes_made_meanwhile() -> None:
    queries = _queries(300, seed=5)
    matcher = Matcher.build(list(enumerate(queries[:200])))
    worker = threading.Thread(target=matcher.compact)
    worker.start()
    for number, query in enumerate(queries[200:], start=200):
        matcher.add(number, query)
    for number in range(0, 200, 3):
        matcher.remove(number)
    worker.join()
    matcher.compact()
    expected = {n: q for n, q in enumerate(queries) if n >= 200 or n % 3}
    fresh = Matcher.build(expected.items())
    for title, teaser, language in generate_articles(40, random.Random(2)):
        assert matcher.match(title, teaser, language) == fresh.match(title, teaser, language)
    assert len(matcher) == len(expected)


def test_many_changes_wait_for_the_application_to_compact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Matcher, "COMPACT_AFTER", 20)
    threads_before = threading.active_count()
    queries = _queries(120, seed=8)
    matcher = Matcher.build(list(enumerate(queries[:60])))
    for number, query in enumerate(queries[60:], start=60):
        matcher.add(number, query)
    for number in range(0, 60, 2):
        matcher.remove(number)
    # The matcher starts no thread of its own: the changes stay pending until compact().
    assert threading.active_count() == threads_before
    assert matcher.compaction_due
    expected = {n: q for n, q in enumerate(queries) if n >= 60 or n % 2}
    fresh = Matcher.build(expected.items())
    articles = generate_articles(30, random.Random(4))
    for title, teaser, language in articles:
        assert matcher.match(title, teaser, language) == fresh.match(title, teaser, language)
    matcher.compact()
    assert matcher.pending == 0 and not matcher.compaction_due
    for title, teaser, language in articles:
        assert matcher.match(title, teaser, language) == fresh.match(title, teaser, language)


def _queries(count: int, seed: int) -> list[Query]:
    queries = []
    for text in generate_queries(count, random.Random(seed)):
        try:
            queries.append(parse_query(text))
        except QueryError:
            continue
    return queries


# An independent, deliberately naive reading of the semantics, to check the index against.


def _has(term: Term, positions: list[Position], title_length: int) -> bool:
    length, last = len(term.words), len(term.words) - 1
    for start in range(len(positions) - length + 1):
        if (term.title_only and start + length > title_length) or (
            start < title_length < start + length
        ):
            continue
        if all(
            any(key.startswith(term.words[n]) for key in _surfaces(positions[start + n], term))
            if term.prefix and n == last
            else not term.forms[n].isdisjoint(_keys(positions[start + n], term))
            for n in range(length)
        ):
            return True
    return False


def _keys(position: Position, term: Term) -> set[str]:
    """A single unquoted word also finds the parts of a compound (`+korea` of Nordkorea)."""
    keys = set(position)
    if len(term.words) == 1 and not term.exact:
        keys |= {form[1:] for form in position if form.startswith("+")}
    return keys


def _surfaces(position: Position, term: Term) -> set[str]:
    surfaces = {position[0]}
    if len(term.words) == 1:
        surfaces |= {form[1:] for form in position if form.startswith("+")}
    return surfaces


def _oracle(node: Node, positions: list[Position], title_length: int) -> bool:
    if isinstance(node, Term):
        return _has(node, positions, title_length)
    if isinstance(node, Not):
        return not _oracle(node.child, positions, title_length)
    results = (_oracle(child, positions, title_length) for child in node.children)
    return all(results) if isinstance(node, And) else any(results)


def test_the_index_agrees_with_evaluating_every_query_on_generated_data() -> None:
    """The benchmark's generator at a tiny size; no timing is asserted."""
    queries = _queries(250, seed=11) + [parse_query(q) for q, *_ in MUST_HOLD]
    matcher = Matcher.build(list(enumerate(queries)))
    assert isinstance(queries[0].root, Term | And | Or)
    for title, teaser, language in generate_articles(40, random.Random(3)):
        assert matcher.match(title, teaser, language) == _expected(queries, title, teaser, language)


def _expected(queries: list[Query], title: str, teaser: str, language: str) -> set[int]:
    """The numbers of the queries the oracle says the article matches."""
    title_positions = analyze(title, language)
    positions = title_positions + analyze(teaser, language)
    return {
        number
        for number, query in enumerate(queries)
        if _oracle(query.root, positions, len(title_positions))
    }


# Exclusions in every position a query can put them: at the top (vetoes), inside an OR or
# a nested AND (evaluated), of phrases, prefixes, headline words and ORs of words.
EXCLUSION_SHAPES = (
    "{a} -{b}",
    "{a} -({b} OR {c})",
    "{a} {b} -{c}",
    "({a} OR {b}) -{c}",
    '({a} OR "{b} {c}") -{d}',
    "({a} -{b}) OR {c}",
    "{a} ({b} -{c})",
    "title:{a} -{b}",
    "{a} -title:{b}",
    "{p}* -{b}",
    '"{a} {b}" -{c}',
    '{a} -"{b} {c}"',
    '"{a}" -{b}',
    "{a} -{a}",
    "{a} -{b} -{c} -{d}",
)


def test_exclusions_anywhere_agree_with_evaluating_every_query() -> None:
    articles = generate_articles(60, random.Random(5))
    # Words the articles carry, so that queries match and exclusions bite.
    words = sorted(
        {
            w
            for title, teaser, _ in articles
            for w in re.findall(r"[A-Za-zäöüß]{4,}", title + teaser)
        }
    )
    rng = random.Random(6)
    queries = []
    for _ in range(12):
        a, b, c, d = rng.sample(words, 4)
        for shape in EXCLUSION_SHAPES:
            queries.append(parse_query(shape.format(a=a, b=b, c=c, d=d, p=a[:4])))
    matcher = Matcher.build(list(enumerate(queries)))
    matched = 0
    for title, teaser, language in articles:
        expected = _expected(queries, title, teaser, language)
        assert matcher.match(title, teaser, language) == expected, (title, teaser)
        matched += len(expected)
    assert matched > 100  # the queries do match, and the exclusions decide some


def test_the_naive_baseline_agrees_on_plain_cases() -> None:
    assert naive_regex(parse_query("Putin")).search("Kim trifft Putin")
    assert not naive_regex(parse_query("Kim")).search("Kimberly Clark")
    assert naive_regex(parse_query("Korea -South")).search("X\nNorth Korea fires")
    assert not naive_regex(parse_query("title:Putin")).search("Kim in China\nPutin too")


def test_the_benchmark_runs_at_a_tiny_size() -> None:
    result = run(subscriptions=150, articles=20, naive_articles=3, seed=1)
    assert result.subscriptions > 100
    assert result.distinct <= result.subscriptions
    assert result.index_mb >= 0 and result.matches >= 0


def test_the_whole_description_is_read_however_long() -> None:
    """Matching reads the whole text it is given, not a 300-character teaser."""
    filler = "Die Regierung berät weiter über den Haushalt und die Steuern. " * 60
    description = filler + "Am Ende traf Kim Jong-un den Präsidenten in Nordkorea."
    assert len(description) > 3_000
    matcher = Matcher.build(
        [
            (1, parse_query('"kim jong un"')),
            (2, parse_query('"jong un traf"')),
            (3, parse_query("Nordkorea")),
            (4, parse_query('title:"kim jong un"')),
            (5, parse_query('"den Präsidenten"')),
        ]
    )
    assert matcher.match("Haushalt", description, "de") == {1, 3, 5}
    fresh = [(q, analyze("Haushalt", "de"), analyze(description, "de")) for q in ('"kim jong un"',)]
    for query, title_positions, positions in fresh:
        assert _oracle(parse_query(query).root, title_positions + positions, len(title_positions))
