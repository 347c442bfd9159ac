from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ADMIN_ROLES, OrgKind, Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone=None, password=None, **fields):
        """Low-level creation for tests and commands; the web and API use accounts.services."""
        email = fields.pop("email", None)
        user = self.model(phone=phone or None, email=self.normalize_email(email) or None, **fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone=None, password=None, **fields):
        # There is no Django admin: "superuser" means a national admin role, granted by load_demo
        # or by another national admin. This keeps createsuperuser working for operators.
        return self.create_user(phone=phone, password=password, is_staff=True, **fields)


class User(AbstractBaseUser):
    """A person. Logs in with a phone number (stored E.164) or an email address."""

    phone = models.CharField(_("phone"), max_length=16, unique=True, null=True, blank=True)
    email = models.EmailField(_("email"), unique=True, null=True, blank=True)
    full_name = models.CharField(_("full name"), max_length=150)
    # Where the person lives or works: decides which regional admins manage the account.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=False) | Q(email__isnull=False),
                name="user_has_phone_or_email",
            )
        ]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.phone or self.email or f"#{self.pk}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("accounts:user_detail", args=[self.pk])

    @property
    def audit_region_code(self) -> str:
        return self.region_id or ""

    @property
    def login_id(self) -> str:
        return self.phone or self.email or ""

    @property
    def phone_display(self) -> str:
        from lokal import parse_phone

        return (parse_phone(self.phone).national or self.phone) if self.phone else ""

    def active_roles(self) -> list[RoleAssignment]:
        """This person's current role assignments, read once per request and kept on the object."""
        cached = getattr(self, "_active_roles", None)
        if cached is None:
            cached = list(
                RoleAssignment.objects.filter(user=self, revoked_at__isnull=True).select_related(
                    "region", "organization"
                )
            )
            self._active_roles = cached
        return cached

    def forget_roles(self) -> None:
        self.__dict__.pop("_active_roles", None)


class Organization(models.Model):
    """A party that roles can be scoped to: a cooperative, a producer, a partner or a lender.

    Later apps hang their own records off it (a cooperative's registry entry, a partner's
    purchase orders) with a one-to-one link, so access rules stay in one place.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=OrgKind.choices)
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name", "region"], name="org_unique_per_region")
        ]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_code(self) -> str:
        return self.region_id


class RoleAssignment(models.Model):
    """One role held by one person within one scope (a region prefix, or one organisation)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    # "region:53.07", "org:12", "national" or "none": one key for the uniqueness rule below.
    scope_key = models.CharField(max_length=40, editable=False)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["role", "scope_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "scope_key"],
                condition=Q(revoked_at__isnull=True),
                name="role_once_per_scope",
            ),
            models.CheckConstraint(
                condition=Q(region__isnull=True) | Q(organization__isnull=True),
                name="role_one_scope_kind",
            ),
        ]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.scope_label}"

    def save(self, *args, **kwargs):
        self.scope_key = self.compute_scope_key()
        super().save(*args, **kwargs)

    def compute_scope_key(self) -> str:
        if self.organization_id:
            return f"org:{self.organization_id}"
        if self.region_id:
            return f"region:{self.region_id}"
        return "national" if self.role == Role.ADMIN_NATIONAL else "none"

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def scope_label(self) -> str:
        if self.organization_id:
            return str(self.organization)
        if self.region_id:
            return self.region.path if self.region else self.region_id
        return str(_("Indonesia")) if self.role == Role.ADMIN_NATIONAL else "—"

    @property
    def scope_region_code(self) -> str:
        """The region the scope lies in: the region itself, or the organisation's region."""
        if self.organization is not None:
            return self.organization.region_id
        return self.region_id or ""

    @property
    def audit_region_code(self) -> str:
        return self.scope_region_code


class ApiToken(models.Model):
    """A bearer token for integrations. Only its SHA-256 is stored; the owner sees it once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def audit_region_code(self) -> str:
        return self.user.region_id or ""

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
