from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Kind, Level


class Region(models.Model):
    """A Kemendagri region. The dotted code is a materialised path: a subtree is a code prefix."""

    code = models.CharField(_("code"), max_length=13, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    # "Tenggarong, Kabupaten Kutai Kartanegara, Kalimantan Timur": shown in search results.
    path = models.CharField(_("full name"), max_length=255)
    # Lower-case name without the administrative prefix, for name search on both databases.
    search_name = models.CharField(max_length=100, db_index=True)
    # Counts below this region, filled when the tree is loaded (the tree changes by decree only).
    child_count = models.PositiveIntegerField(default=0)
    village_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"], name="region_level_code_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="region_level_range"),
            models.CheckConstraint(
                condition=models.Q(level=1, parent__isnull=True)
                | models.Q(level__gt=1, parent__isnull=False),
                name="region_parent_matches_level",
            ),
        ]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("regions:detail", args=[self.code])

    @property
    def audit_region_code(self) -> str:
        return self.code

    def ancestor_codes(self) -> list[str]:
        """Codes of the regions above this one, nation-side first: 53.07.01 -> [53, 53.07]."""
        parts = self.code.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts))]

    def contains(self, code: str) -> bool:
        return code == self.code or code.startswith(self.code + ".")
