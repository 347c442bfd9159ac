from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
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
    # The rupiah of a count that has money (`measures.MONEY_OF`: the GMV of "orders:paid"), else 0.
    amount = models.BigIntegerField(_("amount (rupiah)"), default=0, db_default=0)

    class Meta:
        constraints = [
            # Its index (region_code, measure) also serves "every measure of these regions".
            models.UniqueConstraint(fields=["region_code", "measure"], name="regionstat_region_measure_uniq"),
        ]
        verbose_name = _("region statistic")
        verbose_name_plural = _("region statistics")

    def __str__(self) -> str:
        return f"{self.region_code or 'ID'} · {self.measure} = {self.value} ({self.amount})"


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
    amount = models.BigIntegerField(default=0, db_default=0)  # as RegionStat.amount

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
    amount = models.BigIntegerField(
        default=0, db_default=0
    )  # the change of the money of a count (RegionStat.amount)

    def __str__(self) -> str:
        return f"{self.region_code} {self.month:%Y-%m} · {self.measure} {self.delta:+d}"


# --- Monthly reports (issue 6 item 4) ----------------------------------------------------------


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being made")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


ACTIVE_REPORT_STATUSES = (ReportStatus.QUEUED, ReportStatus.RUNNING)


class ReportJob(models.Model):
    """One region's monthly report (PDF and Excel), made by a task from the dashboard's figures.

    At most one job per region and month is queued or running at a time (the database holds
    it): asking again while one is under way returns that one.
    """

    # The Kemendagri code of the region; "" is the whole nation.
    region_code = models.CharField(_("region code"), max_length=13, blank=True)
    month = models.DateField(_("month"))  # the first day of the month reported on
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)  # percent, 0..100
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    # The language the report is written in: the one its requester used.
    language = models.CharField(max_length=10, blank=True)
    pdf = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    xlsx = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Touched at every progress step: a job that stops moving has lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "month"],
                condition=models.Q(status__in=["queued", "running"]),
                name="reportjob_one_active_per_region_month",
            ),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="reportjob_progress_le_100"),
        ]
        indexes = [
            models.Index(fields=["region_code", "month", "-created_at"], name="reportjob_region_month"),
        ]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return f"{self.region_code or 'ID'} {self.month:%Y-%m} · {self.status}"

    @property
    def audit_region_code(self) -> str:
        return self.region_code

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_REPORT_STATUSES
