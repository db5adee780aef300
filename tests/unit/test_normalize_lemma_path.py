"""The lemmatizer's direct path for plain words answers exactly as simplemma's `lemmatize`.

`feeds.normalize` looks a plain word (letters only) up in the dictionary itself and runs the
rest of simplemma's strategy chain only on a miss, without simplemma's wrappers: every lemma
must stay the same, or matching changes. Checked on the words of generated news (frequent
words, rare made-up words and names, capitalized or not) and on words that exercise the chain.
"""

from __future__ import annotations

import random

import pytest
import simplemma

from bench.match import generate_articles
from feeds import normalize


def _words() -> list[str]:
    words: set[str] = set()
    for title, teaser, _language in generate_articles(120, random.Random(3)):
        words.update(title.split())
        words.update(teaser.replace(".", " ").split())
    special = (
        "Nordkoreas Raketen missiles died dies seiner eine war Putins Poutine Kimchi Rasputin "
        "Interkontinentalrakete Raketenstart Regierungschefs Bundesregierung koreanische "
        "Außenminister für über Österreich Zürich Straße ÄRZTE élysée unbelievable Vorstände "
        "Kinder Häuser running ran Xqzvbnm"
    )
    words.update(special.split())
    return sorted(word for word in words if word.isalpha())


@pytest.mark.parametrize("language", ["de", "en", "fr", "es", "it", "pt"])
def test_plain_words_get_simplemmas_lemma(language: str) -> None:
    words = _words()
    assert len(words) > 500
    for word in words:
        for form in (word, word.lower(), word.capitalize()):
            expected = simplemma.lemmatize(form, lang=language, low_memory=True)
            assert normalize.lemmatize(form, language) == expected, (form, language)
