"""Every few minutes (cron): cancel unpaid orders whose time is up and release their stock.
Safe to run twice, and alongside checkouts (each order is expired under its row lock)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from kopdes.market.services_orders import orders_expire


class Command(BaseCommand):
    help = "Cancel unpaid orders past their payment deadline and put their stock back on sale."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=5000, help="At most this many orders in one run (default 5000)."
        )

    def handle(self, *args, **options):
        expired = orders_expire(limit=options["limit"])
        self.stdout.write(f"expired={expired}")
