from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import Category, Line, ProcessingLevel, ProducerKind, ProductStatus


class Producer(models.Model):
    """Who makes a product: the cooperative itself, a member's UMKM, a group, a school or a class.

    A producer belongs to a village and sells through that village's cooperative. It is an
    accounts.Organization (kind producer, or the cooperative's own), so producer roles scope to it.
    """

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.PROTECT, related_name="producer"
    )
    cooperative = models.ForeignKey(
        "cooperatives.Cooperative", on_delete=models.PROTECT, related_name="producers"
    )
    village = models.ForeignKey(
        "regions.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ProducerKind.choices)
    name = models.CharField(_("name"), max_length=200)
    special_needs_school = models.BooleanField(_("special-needs school (SLB)"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("producer")
        verbose_name_plural = _("producers")

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_code(self) -> str:
        return str(self.village_id)


class Product(models.Model):
    """A product and its current state; what it says lives in versions (curators judge one)."""

    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="products")
    # Denormalised from the producer: the seller, its village and regency, for scoping and boards.
    cooperative = models.ForeignKey(
        "cooperatives.Cooperative", on_delete=models.PROTECT, related_name="products"
    )
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    regency_code = models.CharField(max_length=5, db_index=True)
    line = models.CharField(_("line"), max_length=8, choices=Line.choices)
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("address"), max_length=180, unique=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    stars = models.PositiveSmallIntegerField(_("stars"), default=0)
    current_version = models.ForeignKey(
        "ProductVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stars__gte=0, stars__lte=5), name="product_stars_0_5")
        ]
        indexes = [models.Index(fields=["regency_code", "status"], name="product_regency_status_idx")]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("products:public", args=[self.slug])

    @property
    def audit_region_code(self) -> str:
        return str(self.village_id)


class ProductVersion(models.Model):
    """What a product was at one time. Never changed once submitted to curation."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    story = models.TextField(_("product story"), blank=True)
    unit = models.CharField(_("unit"), max_length=30, default="pcs")
    net_content = models.CharField(_("net content"), max_length=40, blank=True)
    price = models.PositiveBigIntegerField(_("price (rupiah)"))
    monthly_capacity = models.PositiveIntegerField(_("monthly capacity"), default=0)
    processing_level = models.CharField(
        _("processing level"),
        max_length=10,
        choices=ProcessingLevel.choices,
        default=ProcessingLevel.PROCESSED,
    )
    local_material_percent = models.PositiveSmallIntegerField(_("local raw material (%)"), default=0)
    packaging = models.CharField(_("packaging"), max_length=120, blank=True)
    shelf_life_days = models.PositiveIntegerField(_("shelf life (days)"), null=True, blank=True)
    hs_code = models.CharField(_("HS code"), max_length=12, blank=True)
    locked = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["product_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="version_number_once"),
            models.CheckConstraint(
                condition=Q(local_material_percent__lte=100), name="version_local_share_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class ProductPhoto(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="products/photos/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=150, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.caption or str(self.image.name)
