"""What the matcher's compact index shares must not leak between subscriptions.

Equal parts of different queries (a country's names in every query naming the country) are
one entry of the index, an `a OR b` inside an AND is split into the parts the keys decide and
the parts that are evaluated, and the subscriptions' trees are kept in one dict until a change
copies it. A reader notices none of it: each subscription matches what its own query says,
before and after other subscriptions change and after compaction.
"""

from __future__ import annotations

from feeds.matcher import Matcher
from feeds.query import parse_query

KOREA_PHRASE = "Talks with the Democratic People's Republic of Korea resume"
IRAN_SPANISH = "Teherán: la República Islámica de Irán responde"
IRAN_PHRASE_SPORT = "Islamic Republic of Iran wins the sport final"


def test_queries_naming_one_country_share_its_names_but_match_on_their_own() -> None:
    matcher = Matcher.build(
        [
            (1, parse_query("Nordkorea")),
            (2, parse_query("Nordkorea OR Südkorea")),
            (3, parse_query("North Korea")),
            (4, parse_query("Nordkorea -Gipfel")),
        ]
    )
    assert matcher.match(KOREA_PHRASE, "") == {1, 2, 3, 4}
    assert matcher.match(KOREA_PHRASE, "Der Gipfel ist abgesagt") == {1, 2, 3}
    matcher.remove(1)
    assert matcher.match(KOREA_PHRASE, "") == {2, 3, 4}
    matcher.compact()
    assert matcher.match(KOREA_PHRASE, "") == {2, 3, 4}
    matcher.remove(3)
    matcher.compact()
    assert matcher.match(KOREA_PHRASE, "") == {2, 4}


def test_an_excluded_word_rules_out_every_name_of_the_country() -> None:
    matcher = Matcher.build([(1, parse_query("Iran -sport")), (2, parse_query("Iran"))])
    assert matcher.match(IRAN_SPANISH, "", "es") == {1, 2}
    assert matcher.match("Иран отвечает", "") == {1, 2}
    assert matcher.match("Iran sport news", "") == {2}
    # A name that is a phrase is evaluated, the exclusion still holds.
    assert matcher.match("Islamic Republic of Iran responds", "") == {1, 2}
    assert matcher.match(IRAN_PHRASE_SPORT, "") == {2}


def test_changes_after_a_compaction_do_not_reach_the_compacted_index() -> None:
    matcher = Matcher.build([(1, parse_query("Iran")), (2, parse_query("Nordkorea"))])
    matcher.compact()
    assert matcher.pending == 0
    matcher.add(3, parse_query("Iran"))
    matcher.add(1, parse_query("Nordkorea"))  # replaces Iran
    matcher.remove(2)
    assert matcher.pending > 0
    assert matcher.match(IRAN_SPANISH, "", "es") == {3}
    assert matcher.match(KOREA_PHRASE, "") == {1}
    assert len(matcher) == 2
    matcher.compact()
    assert matcher.pending == 0
    assert matcher.match(IRAN_SPANISH, "", "es") == {3}
    assert matcher.match(KOREA_PHRASE, "") == {1}


def test_a_word_with_exclusions_is_vetoed_only_for_its_own_subscriptions() -> None:
    # `Trump -golf` and `Trump OR Biden -golf` are held as ids vetoed by the excluded words;
    # an OR around an exclusion is not (a veto would take back the other branch's match).
    queries = {
        1: "Trump -golf",
        2: "Trump OR Biden -golf -tennis",
        3: "(Trump -golf) OR Biden",
        4: "Trump",
        5: "Trump -Trump",
    }
    matcher = Matcher.build((n, parse_query(q)) for n, q in queries.items())
    assert matcher.match("Trump plays golf with Biden", "") == {3, 4}
    assert matcher.match("Trump speaks", "") == {1, 2, 3, 4}
    assert matcher.match("Biden plays tennis", "") == {3}
    assert matcher.match("Biden speaks", "Trumps Rede") == {1, 2, 3, 4}
    # Added, replaced and removed ones count for the next article, and after compaction.
    matcher.add(6, parse_query("Biden -golf"))
    matcher.add(1, parse_query("golf -Trump"))
    matcher.remove(2)
    for _ in range(2):
        assert matcher.match("Trump plays golf with Biden", "") == {3, 4}
        assert matcher.match("Biden plays golf", "") == {1, 3}
        assert matcher.match("Biden speaks", "") == {3, 6}
        matcher.compact()
