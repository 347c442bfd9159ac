"""Daily (cron): orders received a week ago, and fully paid, complete by themselves."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from kopdes.core.request_context import channel
from kopdes.market.services_orders import orders_complete_received


class Command(BaseCommand):
    help = "Complete the orders received at least 7 days ago and fully paid."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=5000, help="At most this many orders in one run.")

    def handle(self, *args, **options):
        with channel("cli"):
            completed = orders_complete_received(limit=options["limit"])
        self.stdout.write(f"completed={completed}")
