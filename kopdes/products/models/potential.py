from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import Sector


class Potential(models.Model):
    """One commodity a village produces: its sector, yearly volume, season, who surveyed it."""

    village = models.ForeignKey(
        "regions.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    commodity = models.CharField(_("commodity"), max_length=80)
    # Lower-case commodity, so "Kopi", "kopi " and "KOPI" form one cluster.
    commodity_key = models.CharField(max_length=80, db_index=True)
    yearly_volume = models.DecimalField(
        _("yearly volume"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    season = models.CharField(_("season"), max_length=80, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    surveyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    surveyed_on = models.DateField(_("surveyed on"), default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["village_id", "sector", "commodity_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "sector", "commodity_key"], name="potential_once_per_village"
            ),
            models.CheckConstraint(
                condition=models.Q(yearly_volume__isnull=True) | models.Q(yearly_volume__gte=0),
                name="potential_volume_not_negative",
            ),
        ]
        verbose_name = _("village potential")
        verbose_name_plural = _("village potential")

    def __str__(self) -> str:
        return f"{self.commodity} ({self.get_sector_display()})"

    @property
    def audit_region_code(self) -> str:
        return str(self.village_id)


class PotentialPhoto(models.Model):
    potential = models.ForeignKey(Potential, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="products/potential/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=150, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.caption or str(self.image.name)
