"""Story grouping: one event from many outlets is one story; different events stay apart."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bench.stories import (
    BEIJING,
    evaluate,
    group_by_link_or_headline,
    group_with_grouper,
    load_labelled,
    order_dependence,
    speed,
    two_fold,
)
from feeds.stories import (
    Report,
    StoryGrouper,
    Tuning,
    default_entity_keys,
    entity_keys_with,
    name_units,
)

NOON = datetime(2025, 9, 2, 12, tzinfo=UTC)


def _report(title: str, description: str = "", *, hours: float = 0, **extra: str) -> Report:
    language = extra.get("language", "en")
    return Report(
        title, description, language, NOON + timedelta(hours=hours), extra.get("source", "x")
    )


def _ids() -> itertools.count[int]:
    return itertools.count(1)


def _story_ids(reports: list[Report], grouper: StoryGrouper | None = None) -> list[int]:
    return group_with_grouper(reports, grouper)


XI_PUTIN = (
    "Chinese President Xi Jinping and Russian President Vladimir Putin held talks in Beijing, "
    "and Gazprom said a legally binding memorandum was signed on the Power of Siberia 2 "
    "gas pipeline."
)


def test_agency_copies_with_a_changed_word_are_one_story() -> None:
    stories = _story_ids(
        [
            _report("Xi and Putin reaffirm ties as Russia and China sign gas deal", XI_PUTIN),
            _report(
                "Xi, Putin reaffirm ties as Russia and China sign gas deal",
                XI_PUTIN,
                hours=1,
                source="y",
            ),
        ]
    )
    assert stories[0] == stories[1]


def test_the_same_link_or_headline_within_a_day_is_one_story() -> None:
    first = replace(_report("Quake hits the coast", "A strong quake."), link="https://a/1")
    same_link = replace(_report("Tsunami warning", "Other words.", hours=3), link="https://a/1")
    same_headline = _report("Quake hits the coast", "Nothing alike at all.", hours=20)
    stories = _story_ids([first, same_link, same_headline])
    assert stories[0] == stories[1] == stories[2]


def test_a_headline_repeated_after_the_window_starts_a_new_story() -> None:
    stories = _story_ids(
        [_report("Parliament passes the budget"), _report("Parliament passes the budget", hours=49)]
    )
    assert stories[0] != stories[1]


MISSILE = _report(
    "North Korea fires ICBM toward East Sea",
    "North Korea fired an intercontinental ballistic missile that flew for 86 minutes, its "
    "longest flight ever; Kim Jong Un oversaw the launch of the Hwasong-19.",
)
SATELLITE = _report(
    "North Korea launches rocket carrying military spy satellite",
    "North Korea said its Chollima-1 rocket placed the Malligyong-1 reconnaissance satellite "
    "into orbit; Kim Jong Un watched the launch.",
    hours=2,
    source="y",
)


def _busy_window(*leave_out: str, grouper: StoryGrouper | None = None) -> StoryGrouper:
    """A grouper whose window holds a day of other real coverage (the labelled set's reports
    moved to the morning of NOON), so that words weigh what they weigh in a real window:
    `North Korea` little, `satellite` much."""
    grouper = StoryGrouper() if grouper is None else grouper
    for number, row in enumerate(load_labelled()):
        if not row.event.startswith(leave_out):
            moved = replace(row.report, published=NOON - timedelta(hours=6), link="")
            grouper.remember(moved, -number - 1)
    return grouper


def test_a_missile_test_and_a_satellite_launch_the_same_day_stay_apart() -> None:
    # Real reports of two events a year apart, moved to the same day: only the wording differs.
    stories = _story_ids([MISSILE, SATELLITE], _busy_window("nk-"))
    assert stories[0] != stories[1]


def test_two_putin_kim_summits_stay_apart_even_on_the_same_day() -> None:
    pyongyang = _report(
        "Putin and Kim sign mutual defence pact in Pyongyang",
        "Vladimir Putin and Kim Jong Un signed a comprehensive strategic partnership treaty "
        "that includes a pledge of mutual assistance if either is attacked.",
    )
    vostochny = _report(
        "Kim Jong Un and Putin meet at Russian space base",
        "North Korea's leader met Vladimir Putin at the Vostochny Cosmodrome in Russia's Far "
        "East; Putin said Russia would help North Korea build satellites.",
        hours=1,
        source="y",
    )
    stories = _story_ids([pyongyang, vostochny], _busy_window("putin-kim-"))
    assert stories[0] != stories[1]


def test_a_german_and_an_english_report_meet_through_names() -> None:
    german = _report(
        "Friedrich Merz im zweiten Wahlgang zum Bundeskanzler gewählt",
        "Nach der Niederlage im ersten Wahlgang ist Friedrich Merz im Bundestag mit 325 "
        "Stimmen zum Kanzler gewählt worden.",
        language="de",
    )
    english = _report(
        "Friedrich Merz elected German chancellor in second Bundestag vote",
        "Friedrich Merz won 325 votes in the Bundestag on the second attempt.",
        hours=1,
        source="y",
    )
    stories = _story_ids([german, english], _busy_window("merz-", "bundestag-"))
    assert stories[0] == stories[1]


def test_countries_are_keyed_by_code_in_every_language() -> None:
    german = default_entity_keys("Nordkorea feuert Rakete ab", "de")
    english = default_entity_keys("North Korea fires missile", "en")
    assert "@KP" in german & english


def test_a_restart_rebuilds_the_window_and_keeps_story_ids() -> None:
    counter = _ids()
    before = StoryGrouper()
    first = before.add(MISSILE, lambda: next(counter) * 100)
    restarted = StoryGrouper()
    restarted.load([(MISSILE, first)])
    copy = replace(MISSILE, source="y", published=MISSILE.published + timedelta(hours=1))
    assert restarted.add(copy, lambda: 999) == first


def test_stories_close_after_48_hours_and_the_window_forgets() -> None:
    grouper = StoryGrouper()
    counter = _ids()
    first = grouper.add(MISSILE, lambda: next(counter))
    late = replace(MISSILE, source="y", published=MISSILE.published + timedelta(hours=49))
    assert grouper.add(late, lambda: next(counter)) != first
    assert len(grouper) == 1
    assert grouper.memory_bytes() > 0


def test_grouping_is_deterministic() -> None:
    rows = load_labelled()
    reports = [row.report for row in rows]
    assert _story_ids(reports) == _story_ids(reports)


def test_labelled_set_has_the_size_the_measurement_needs() -> None:
    rows = load_labelled()
    outlets: dict[str, set[str]] = {}
    for row in rows:
        outlets.setdefault(row.event, set()).add(row.outlet)
    languages = {row.report.language for row in rows}
    assert sum(len(names) >= 3 for names in outlets.values()) >= 30
    assert sum(1 for row in rows if row.event.startswith("single-")) >= 100
    assert {"de", "en"} <= languages


def test_grouping_beats_todays_rule_on_the_labelled_set() -> None:
    rows = load_labelled()
    reports = [row.report for row in rows]
    before = evaluate(rows, group_by_link_or_headline(reports))
    after = evaluate(rows, group_with_grouper(reports))
    print(
        f"\nbefore: precision {before.precision:.3f} recall {before.recall:.3f} "
        f"messages/event {before.messages_per_event:.2f}"
        f"\nafter:  precision {after.precision:.3f} recall {after.recall:.3f} "
        f"messages/event {after.messages_per_event:.2f}"
    )
    # Floors at what this version measures (see the report); the issue's targets are below.
    assert after.precision >= 0.97
    assert after.recall >= 0.80
    assert after.messages_per_event < before.messages_per_event / 2


def test_each_half_of_the_labelled_set_keeps_its_precision() -> None:
    # The real feed items and the coverage written from memory measured apart: a rule that
    # helps one half by merging too much in the other shows here.
    rows = load_labelled()
    for part in ("corpus", "memory"):
        half = [row for row in rows if row.part == part]
        quality = evaluate(half, group_with_grouper([row.report for row in half]))
        # Floors under what this version measures (corpus 0.944 / 0.655, memory 1.0 / 1.0):
        # the real feed items, many of them headlines without a teaser, are the harder half.
        assert quality.precision >= 0.94, part
        assert quality.recall >= 0.60, part


@pytest.mark.xfail(
    strict=True, reason="issue 13 messages target not reached yet (1.23 messages per event)"
)
def test_issue_targets_on_the_labelled_set() -> None:
    rows = load_labelled()
    after = evaluate(rows, group_with_grouper([row.report for row in rows]))
    assert after.precision >= 0.97
    assert after.recall >= 0.80
    assert after.messages_per_event <= 1.2


def test_an_alias_table_ties_names_spelled_differently_across_languages() -> None:
    aliases = {"damaskus": "damascus", "damascus": "damascus", "assad": "assad"}  # folded
    german = _report(
        "Rebellen nehmen Damaskus ein – Assad offenbar geflohen",
        "Die Aufständischen haben die syrische Hauptstadt erobert. Machthaber Baschar al-Assad "
        "hat das Land Berichten zufolge verlassen.",
        language="de",
    )
    english = _report(
        "Syria's Assad flees as rebels seize Damascus",
        "Bashar al-Assad left the country as rebels swept into Damascus.",
        hours=1,
        source="y",
    )
    table = entity_keys_with(aliases.get)
    assert not default_entity_keys("Damaskus", "de") & default_entity_keys("Damascus", "en")
    assert "!damascus" in set(table("Damaskus", "de")) & set(table("Damascus", "en"))
    with_table = StoryGrouper(entity_for=aliases.get)
    tied = _story_ids([german, english], _busy_window("assad-", grouper=with_table))
    assert tied[0] == tied[1]


def test_country_adjectives_are_keyed_as_the_country_in_every_language() -> None:
    german = default_entity_keys("Die syrische Hauptstadt und die russischen Truppen", "de")
    english = default_entity_keys("Syrian rebels and Russia's troops", "en")
    assert {"@SY", "@RU"} <= german & english
    # Names that are also ordinary words count only as written: polish is no country.
    assert "@PL" not in default_entity_keys("they polish the shoes", "en")


def test_the_benchmark_runs_on_a_small_window() -> None:
    row = speed(window=300, probe=20, baseline=5, seed=1)[0]
    assert row[0] == "300"  # every generated article is in the window


def test_todays_rule_knows_only_links_and_headlines() -> None:
    first = replace(_report("Quake hits the coast"), link="https://a/1")
    copy = replace(_report("Tsunami warning", hours=2), link="https://a/1")
    reworded = _report("Strong quake hits the coast", hours=3)
    stories = group_by_link_or_headline([first, copy, reworded])
    assert stories[0] == stories[1] != stories[2]


def test_a_long_description_is_read_by_its_lead() -> None:
    # Descriptions are whole texts now (up to 20 kB): what happened is in the first lines,
    # and a long background section does not pull the report away from its story.
    background = " ".join(f"Background paragraph {n} about unrelated history." for n in range(400))
    short = _report("Xi and Putin reaffirm ties as Russia and China sign gas deal", XI_PUTIN)
    long = _report(
        "Xi, Putin reaffirm ties as Russia and China sign gas deal",
        f"{XI_PUTIN} {background}",
        hours=1,
        source="y",
    )
    stories = _story_ids([short, long])
    assert stories[0] == stories[1]


def test_an_outlets_boilerplate_description_is_no_evidence() -> None:
    """One outlet writes "Kurzer Text." under every item: two of its reports that share the
    country and that sentence are two stories."""
    grouper = StoryGrouper()
    ids = _ids()
    first = _report("Nordkorea testet Rakete", "Kurzer Text.", language="de", source="krone")
    grouper.add(first, lambda: next(ids))
    later = _report("Nordkoreas Armee", "Kurzer Text.", hours=1, language="de", source="krone")
    assert grouper.place(later).story_id is None


def test_two_reports_sharing_only_their_country_are_two_stories() -> None:
    grouper = StoryGrouper()
    ids = _ids()
    grouper.add(_report("Nordkorea testet Rakete", language="de"), lambda: next(ids))
    election = _report("Wahl in Pjöngjang: Nordkorea stimmt ab", hours=1, language="de")
    assert grouper.place(election).story_id is None
    again = _report("Nordkorea testet erneut Rakete", hours=2, language="de")
    assert grouper.place(again).story_id == 1


def test_arrival_order_does_not_merge_distinct_events() -> None:
    """Kim's train, the Xi–Putin gas talks and the parade, in Beijing on two days with the
    same people, each by an English and a German outlet (the story-alert test's feeds):
    whatever order the six reports arrive in, no story holds two events."""
    rows = {(row.event, row.outlet): row for row in load_labelled()}
    wrong, tried = order_dependence([rows[pair] for pair in BEIJING])
    assert (wrong, tried) == (0, 720)


def test_thresholds_chosen_on_one_half_of_the_events_hold_on_the_other() -> None:
    # The two-fold check of the benchmark, on a grid of two: what is tuned on one half keeps
    # its precision on events it has never seen.
    grid = (Tuning(), Tuning(same_language=0.19))
    for _held_out, _chosen, tuned, default in two_fold(load_labelled(), grid):
        assert tuned.precision >= 0.97
        assert default.precision >= 0.97


LAMPEDUSA = _report(
    "Ferry capsizes off Lampedusa, dozens missing",
    "A migrant ferry capsized near Lampedusa; coast guards search for dozens of people "
    "missing at sea.",
)
SURVIVORS = _report(
    "Lampedusa ferry disaster: survivors ashore as minister Matteo Piantedosi visits",
    "Survivors of the capsized Lampedusa ferry were brought ashore; interior minister Matteo "
    "Piantedosi announced a visit and a new migration decree.",
    hours=1,
    source="y",
)
DECREE = _report(
    "Matteo Piantedosi presents new migration decree in Rome",
    "Interior minister Matteo Piantedosi presented a new migration decree to the cabinet in Rome.",
    hours=2,
    source="z",
)


def test_a_story_does_not_drift_away_from_its_first_report() -> None:
    # The decree is close to the survivors' report, which mentions it, but has nothing of the
    # capsized ferry that started the story: it is another story, not a link in a chain.
    assert _story_ids([SURVIVORS, DECREE])[0] == _story_ids([SURVIVORS, DECREE])[1]
    ferry, survivors, decree = _story_ids([LAMPEDUSA, SURVIVORS, DECREE])
    assert ferry == survivors != decree


def test_a_name_of_several_words_is_one_name() -> None:
    units = name_units("Kim Jong Un met Xi Jinping in Beijing; US officials watched.")
    assert ("jong", "kim") in units
    assert ("jinp", "xi") in units
    assert ("@US",) in units  # the press's abbreviation is the country, not a name
