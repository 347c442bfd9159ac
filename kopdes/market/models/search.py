"""The search vocabulary: every stemmed word that occurs in a listing, for typo-tolerant
suggestions. A read model, filled by the listing listener and `vocabulary_rebuild`."""

from __future__ import annotations

from django.db import models


class SearchTerm(models.Model):
    term = models.CharField(max_length=40, unique=True)
    # The first and the last two letters and the length: a misspelt word keeps one end and about
    # its length, so the candidates for a suggestion are two small index ranges, not the vocabulary.
    head = models.CharField(max_length=2)
    tail = models.CharField(max_length=2)
    length = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["head", "length"], name="search_term_head_idx"),
            models.Index(fields=["tail", "length"], name="search_term_tail_idx"),
        ]

    def __str__(self) -> str:
        return self.term


__all__ = ["SearchTerm"]
