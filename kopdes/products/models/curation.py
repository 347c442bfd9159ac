from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import CoachingLevel, Decision, RoundStatus


class Rubric(models.Model):
    """A scoring rubric, kept as data so a province can adjust it (region null: the national one)."""

    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Scores of two curators further apart than this (points out of 100) are flagged.
    disagreement_gap = models.PositiveSmallIntegerField(default=15)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["region_id", "name"]

    def __str__(self) -> str:
        return self.name


class RubricPart(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="parts")
    code = models.CharField(max_length=2)
    name = models.CharField(_("name"), max_length=120)
    max_points = models.PositiveSmallIntegerField()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rubric_id", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["rubric", "code"], name="rubric_part_code_once")]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"


class RubricCriterion(models.Model):
    part = models.ForeignKey(RubricPart, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("name"), max_length=120)
    guidance = models.CharField(_("full marks when"), max_length=255, blank=True)
    max_points = models.PositiveSmallIntegerField()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["part_id", "order", "id"]

    def __str__(self) -> str:
        return self.name


class CurationRound(models.Model):
    """One curation of one product version; a revised product gets a new round."""

    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="rounds")
    version = models.ForeignKey("products.ProductVersion", on_delete=models.PROTECT, related_name="rounds")
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    mean_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    stars = models.PositiveSmallIntegerField(null=True, blank=True)
    disagreement = models.BooleanField(default=False)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    coaching_level = models.CharField(max_length=10, choices=CoachingLevel.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["product_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="round_number_once"),
            models.UniqueConstraint(
                fields=["product"], condition=Q(status="open"), name="one_open_round_per_product"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} · #{self.number}"

    @property
    def audit_region_code(self) -> str:
        return str(self.product.village_id)


class CurationScore(models.Model):
    """One curator's independent scoring of a round."""

    round = models.ForeignKey(CurationRound, on_delete=models.CASCADE, related_name="scores")
    curator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    total = models.PositiveSmallIntegerField()
    notes = models.TextField(_("notes"), blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round_id", "submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["round", "curator"], name="one_score_per_curator"),
            models.CheckConstraint(condition=Q(total__lte=100), name="score_total_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.curator} · {self.total}"


class CriterionScore(models.Model):
    score = models.ForeignKey(CurationScore, on_delete=models.CASCADE, related_name="items")
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["score", "criterion"], name="criterion_scored_once")]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.points}"
