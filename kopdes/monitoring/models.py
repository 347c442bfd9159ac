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
