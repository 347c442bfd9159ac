from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProvinceTarget(models.Model):
    """How many featured products each regency of a province must bring a month (NTT: 2)."""

    province = models.OneToOneField("regions.Region", on_delete=models.PROTECT, related_name="+")
    per_regency_per_month = models.PositiveSmallIntegerField(default=2)

    def __str__(self) -> str:
        return f"{self.province_id}: {self.per_regency_per_month}"


class FeaturedProduct(models.Model):
    """A produk unggulan: a curated product a regency designated for one month (its local month)."""

    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="featured")
    regency = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    # First day of the regency's local month (WIB, WITA or WIT) in which it was designated.
    month = models.DateField(_("month"))
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    designated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "regency_id"]
        constraints = [models.UniqueConstraint(fields=["product", "month"], name="featured_once_a_month")]
        indexes = [models.Index(fields=["regency", "month"], name="featured_regency_month_idx")]

    def __str__(self) -> str:
        return f"{self.product} · {self.month:%Y-%m}"

    @property
    def audit_region_code(self) -> str:
        return str(self.regency_id)
