"""Every minute (cron), as a backstop to the task each commit schedules: fold the pending changes
into the monthly rollups. Safe to run at any time (it takes the rollup lock)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from kopdes.core.request_context import channel
from kopdes.monitoring.services import rollups_fold


class Command(BaseCommand):
    help = "Fold pending rollup changes (RollupDelta) into the monthly rollups (MonthStat, RegionStat)."

    def handle(self, *args, **options):
        with channel("cli"):
            result = rollups_fold()
        self.stdout.write(f"folded={result.deltas} rows={result.rows} in {result.seconds * 1000:.0f} ms")
