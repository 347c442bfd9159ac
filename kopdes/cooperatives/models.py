from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kopdes.core.masking import mask_nik

from .choices import (
    ImportKind,
    ImportStatus,
    MemberStatus,
    Position,
    Scheme,
    Stage,
    StageStatus,
    UnitKind,
    UnitStatus,
)


class Cooperative(models.Model):
    """A Koperasi Desa/Kelurahan Merah Putih: the registry entry of one village's cooperative.

    Its seat is one village; a few small villages (under 500 people) may share it, recorded as
    extra `CooperativeVillage` rows. A village belongs to at most one cooperative (unique).
    """

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.PROTECT, related_name="cooperative"
    )
    village = models.ForeignKey(
        "regions.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    # The microsite's short, stable address: the seat village's code without dots.
    slug = models.SlugField(_("short address"), max_length=16, unique=True)
    scheme = models.CharField(_("scheme"), max_length=12, choices=Scheme.choices, default=Scheme.NEW)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, blank=True)
    stage_status = models.CharField(_("stage status"), max_length=12, choices=StageStatus.choices, blank=True)
    # Identity
    registration_number = models.CharField(
        _("cooperative ID number (NIK koperasi)"), max_length=40, blank=True
    )
    deed_number = models.CharField(_("notarial deed number"), max_length=60, blank=True)
    deed_date = models.DateField(_("notarial deed date"), null=True, blank=True)
    ahu_number = models.CharField(_("AHU decree number"), max_length=80, blank=True)
    ahu_date = models.DateField(_("AHU decree date"), null=True, blank=True)
    nib = models.CharField(_("NIB"), max_length=13, blank=True)
    npwp = models.CharField(_("NPWP"), max_length=16, blank=True)
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account_number = models.CharField(_("account number"), max_length=30, blank=True)
    bank_account_name = models.CharField(_("account name"), max_length=120, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField(_("phone / WhatsApp"), max_length=16, blank=True)
    email = models.EmailField(_("email"), blank=True)
    qris_payload = models.TextField(_("static QRIS"), blank=True)
    description = models.TextField(_("profile"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["village_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="coop_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="coop_longitude_range",
            ),
        ]
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cooperatives:detail", args=[self.pk])

    def get_public_url(self) -> str:
        return reverse("cooperatives:microsite", args=[self.slug])

    @property
    def audit_region_code(self) -> str:
        return self.village_id

    @property
    def has_legal_entity(self) -> bool:
        from .choices import stage_index

        if not self.stage:
            return False
        reached = stage_index(self.stage)
        legal = stage_index(Stage.BADAN_HUKUM)
        return reached > legal or (reached == legal and self.stage_status == StageStatus.VERIFIED)


class CooperativeVillage(models.Model):
    """A village a cooperative serves: its seat, and any small villages that share it."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="villages")
    village = models.OneToOneField(
        "regions.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    is_seat = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cooperative"], condition=Q(is_seat=True), name="coop_one_seat")
        ]

    def __str__(self) -> str:
        return f"{self.cooperative_id} → {self.village_id}"


class StageRecord(models.Model):
    """One step of the formation history: recorded, then verified or sent back by the regency."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="stage_records")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    status = models.CharField(_("status"), max_length=12, choices=StageStatus.choices)
    happened_on = models.DateField(_("date"))
    evidence = models.FileField(_("evidence"), upload_to="cooperatives/evidence/%Y/%m/", blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("stage record")
        verbose_name_plural = _("stage records")

    def __str__(self) -> str:
        return f"{self.get_stage_display()} · {self.get_status_display()}"

    @property
    def audit_region_code(self) -> str:
        return str(self.cooperative.village_id)


class Officer(models.Model):
    """An officer (pengurus) or supervisor (pengawas) for a term; holds the matching role."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="officers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.CharField(_("position"), max_length=12, choices=Position.choices)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    role_assignment = models.OneToOneField(
        "accounts.RoleAssignment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["ended_at", "position", "term_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gte=models.F("term_start")),
                name="officer_term_order",
            ),
        ]
        verbose_name = _("officer")
        verbose_name_plural = _("officers")

    def __str__(self) -> str:
        return f"{self.get_position_display()} · {self.user}"

    @property
    def audit_region_code(self) -> str:
        return str(self.cooperative.village_id)


class Member(models.Model):
    """A member of a cooperative. The NIK is stored whole (to check it) and shown only masked."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="members")
    nik = models.CharField(_("NIK"), max_length=16)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    village = models.ForeignKey(
        "regions.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    joined_on = models.DateField(_("joined"))
    status = models.CharField(
        _("status"), max_length=10, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    status_changed_on = models.DateField(_("status changed"), null=True, blank=True)
    # The member's own account, when they have one: lets them see their own record.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["full_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "nik"], name="member_nik_once_per_coop"),
            models.CheckConstraint(condition=Q(nik__regex=r"^[0-9]{16}$"), name="member_nik_16_digits"),
        ]
        indexes = [models.Index(fields=["cooperative", "status"], name="member_coop_status_idx")]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return f"{self.full_name} ({self.nik_masked})"

    @property
    def nik_masked(self) -> str:
        return mask_nik(self.nik)

    @property
    def audit_region_code(self) -> str:
        return str(self.cooperative.village_id)


class BusinessUnit(models.Model):
    """A business unit (gerai/unit usaha) of a cooperative."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="units")
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    name = models.CharField(_("name"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=UnitStatus.choices, default=UnitStatus.PLANNED
    )
    address = models.CharField(_("location"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    opened_on = models.DateField(_("opening date"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("business unit")
        verbose_name_plural = _("business units")

    def __str__(self) -> str:
        return self.name or self.get_kind_display()

    @property
    def audit_region_code(self) -> str:
        return str(self.cooperative.village_id)


class UnitPhoto(models.Model):
    unit = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="cooperatives/units/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=150, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.caption or str(self.image.name)


class CooperativePhoto(models.Model):
    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="cooperatives/photos/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=150, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.caption or str(self.image.name)


class ImportJob(models.Model):
    """One spreadsheet import: uploaded, mapped and checked (dry run), then run as a task."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Members are imported into one cooperative; cooperatives into a region the user manages.
    cooperative = models.ForeignKey(
        Cooperative, null=True, blank=True, on_delete=models.CASCADE, related_name="imports"
    )
    region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    good_rows_only = models.BooleanField(default=False)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True)
    errors_file = models.FileField(upload_to="imports/errors/%Y/%m/", blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Touched by the running task at every progress step: a job that stops moving has lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def audit_region_code(self) -> str:
        if self.cooperative is not None:
            return self.cooperative.village_id
        return self.region_id or ""

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
