"""Daily (cron): expire licences past their date and mail the reminders. Safe to run twice."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from kopdes.products.services_licences import licence_reminders_send, licences_expire


class Command(BaseCommand):
    help = "Expire licences past their date and remind cooperatives' officers of licences due soon."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this day (YYYY-MM-DD); today by default.")

    def handle(self, *args, **options):
        day = dt.date.fromisoformat(options["date"]) if options.get("date") else None
        counts = {**licences_expire(on_date=day), **licence_reminders_send(on_date=day)}
        self.stdout.write(" ".join(f"{key}={value}" for key, value in counts.items()))
