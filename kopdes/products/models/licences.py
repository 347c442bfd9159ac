from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import Category, LicenceStatus, LicenceType


class LicenceRequirement(models.Model):
    """The rule table: which licences a category needs. Rows with the same group are
    alternatives (any one will do); every group is needed (e.g. SPP-IRT or BPOM MD, and halal)."""

    category = models.CharField(max_length=16, choices=Category.choices)
    group = models.PositiveSmallIntegerField()
    licence_type = models.CharField(max_length=12, choices=LicenceType.choices)
    # From this date on (the halal deadline for micro and small producers: 17 Oct 2026).
    required_from = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["category", "group", "licence_type"]
        constraints = [
            models.UniqueConstraint(fields=["category", "group", "licence_type"], name="licence_rule_once")
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.group} {self.licence_type}"


class Licence(models.Model):
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="licences")
    licence_type = models.CharField(_("licence"), max_length=12, choices=LicenceType.choices)
    number = models.CharField(_("number"), max_length=60, blank=True)
    issuer = models.CharField(_("issuer"), max_length=120, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=LicenceStatus.choices, default=LicenceStatus.NOT_STARTED
    )
    document = models.FileField(_("document"), upload_to="products/licences/%Y/%m/", blank=True)
    reminded_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["product_id", "licence_type"]
        constraints = [
            models.UniqueConstraint(fields=["product", "licence_type"], name="licence_once_per_product"),
            models.CheckConstraint(
                condition=Q(issued_on__isnull=True)
                | Q(expires_on__isnull=True)
                | Q(expires_on__gte=models.F("issued_on")),
                name="licence_expires_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_licence_type_display()} {self.number}".strip()

    @property
    def audit_region_code(self) -> str:
        return str(self.product.village_id)
