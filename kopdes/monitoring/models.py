from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionStat(models.Model):
    """One measure of one region, summed over everything below it: a read model for dashboards.

    Kept current by the subscribers in `subscribers.py` (inside the transaction of the service
    that changed the facts) and rebuilt from scratch by `manage.py rebuild_rollups`. A region
    with nothing to count has no rows; a missing row reads as 0.
    """

    # The Kemendagri code of the region; "" is the whole nation.
    region_code = models.CharField(_("region code"), max_length=13, blank=True)
    # "cooperatives", "villages_covered", "scheme:new", "stage:none", "members_active", ...
    measure = models.CharField(_("measure"), max_length=40)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        constraints = [
            # Its index (region_code, measure) also serves "every measure of these regions".
            models.UniqueConstraint(fields=["region_code", "measure"], name="regionstat_region_measure_uniq"),
        ]
        verbose_name = _("region statistic")
        verbose_name_plural = _("region statistics")

    def __str__(self) -> str:
        return f"{self.region_code or 'ID'} · {self.measure} = {self.value}"


class MonthStat(models.Model):
    """One measure of one region in one month, summed over everything below the region.

    Flows (orders placed, sales paid, licences issued, curation decisions) are what happened in
    the month; states (cooperatives by stage, products by status, orders by status) are the
    month's net change, so a state at the end of a month is the sum of its months up to it. Kept
    by `rollups_fold` from `RollupDelta` rows and rebuilt by `rollups_rebuild`.
    """

    region_code = models.CharField(max_length=13, blank=True)
    month = models.DateField()  # the first day of the month, in Indonesia's western time (WIB)
    measure = models.CharField(max_length=40)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "measure", "month"], name="monthstat_region_measure_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_code or 'ID'} {self.month:%Y-%m} · {self.measure} = {self.value}"


class RollupDelta(models.Model):
    """A change of a measure for a village (or a display point's region) in a month, written in
    the transaction that changed the facts: an insert that never waits on another writer. The
    fold adds them up into MonthStat (and RegionStat for states) right after commit."""

    region_code = models.CharField(max_length=13)
    month = models.DateField()
    measure = models.CharField(max_length=40)
    delta = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.region_code} {self.month:%Y-%m} · {self.measure} {self.delta:+d}"
