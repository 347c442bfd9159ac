"""Indonesian full-text search over listings.

Text is stemmed with Sastrawi when a listing is saved ("olahan" and "mengolah" both become
"olah"), and the query is stemmed the same way, so both databases search the same words.
"""

from __future__ import annotations

import re
from functools import cache

_WORD = re.compile(r"[0-9a-z]+")


@cache
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()  # a cached stemmer: each word is stemmed once


def stem_text(text: str) -> str:
    """Lower-cased, stemmed words of `text`, separated by single spaces."""
    words = _WORD.findall(text.lower())
    if not words:
        return ""
    stemmer = _stemmer()
    return " ".join(stemmer.stem(word) or word for word in words)
