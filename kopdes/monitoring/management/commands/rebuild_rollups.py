from django.core.management.base import BaseCommand

from kopdes.core.request_context import channel
from kopdes.monitoring.services import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute the coverage rollups (RegionStat) of every region from the cooperative tables."

    def handle(self, *args, **options):
        with channel("cli"):
            result = rollups_rebuild()
        self.stdout.write(
            f"rollups: {result.rows} rows for {result.regions} regions from {result.cooperatives} "
            f"cooperatives ({result.created} created, {result.updated} updated, {result.deleted} deleted), "
            f"{result.month_rows} monthly rows, in {result.seconds:.1f}s"
        )
