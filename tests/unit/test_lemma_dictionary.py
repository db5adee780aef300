"""The lemmatizer's own reader of simplemma's dictionaries answers exactly as simplemma's.

Matching depends on every lemma (`Nordkoreas` finds `Nordkorea` through it), so the faster
reader must not change one answer: checked on a sample of every dictionary entry, on near
misses, and on whole words through simplemma's strategies.
"""

from __future__ import annotations

import simplemma
from simplemma.strategies.dictionaries import LOW_MEMORY_DICTIONARY_FACTORY

from feeds import normalize


def test_the_german_and_english_dictionaries_answer_as_simplemmas_own() -> None:
    for language in ("de", "en"):
        theirs = LOW_MEMORY_DICTIONARY_FACTORY.get_dictionary(language)
        ours = normalize._dictionaries().get_dictionary(language)
        assert isinstance(ours, normalize._HashedDictionary)
        assert len(ours) == len(theirs)
        sample = [key for number, key in enumerate(theirs) if number % 211 == 0]
        probes = [*sample, *(key + "x" for key in sample), *(key[:-1] for key in sample)]
        assert [ours.get(word) for word in probes] == [theirs.get(word) for word in probes]
        # Both case variants from one bucket, as the lemmatizer and `is_known` ask for them.
        variants = [(word, word.swapcase()) for word in probes[::7]]
        variants += [("Ärzte", "ärzte"), ("ärzte", "Ärzte"), ("ÖSTERREICH", "österreich")]
        assert [ours.either(word, other) for word, other in variants] == [
            theirs.get(word) or theirs.get(other) for word, other in variants
        ]
        assert [normalize.is_known(word, (language,)) for word in sample[::5]] == [
            simplemma.is_known(word, lang=language, low_memory=True) for word in sample[::5]
        ]


def test_lemmas_and_known_words_are_simplemmas() -> None:
    words = ["Nordkoreas", "Raketen", "missiles", "died", "Interkontinentalrakete", "Putins"]
    words += ["Kimchi", "Regierungschefs", "xqzvbnm", "Bundesregierung", "koreanische"]
    for word in words:
        for language in ("de", "en"):
            expected = simplemma.lemmatize(word, lang=language, low_memory=True)
            assert normalize.lemmatize(word, language) == expected
            known = simplemma.is_known(word, lang=language, low_memory=True)
            assert normalize.is_known(word, (language,)) == known
