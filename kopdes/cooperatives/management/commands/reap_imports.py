from django.core.management.base import BaseCommand

from kopdes.cooperatives.imports import imports_reap_stalled


class Command(BaseCommand):
    help = "Mark imports whose worker died mid-run as failed (nothing of them was saved). For cron."

    def handle(self, *args, **options):
        self.stdout.write(f"imports marked failed: {imports_reap_stalled()}")
