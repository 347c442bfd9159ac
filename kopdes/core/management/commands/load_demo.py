import time

from django.core.management.base import BaseCommand
from django.db import transaction

from kopdes.core.demo import loaders
from kopdes.core.request_context import channel


class Command(BaseCommand):
    help = "Build the demo world on the real regions (people for every role, cooperatives). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--logins", action="store_true", help="print the demo logins")

    def handle(self, *args, **options):
        logins: list[tuple[str, str, str]] = []
        with channel("cli"):
            for name, loader in loaders():
                started = time.perf_counter()
                with transaction.atomic():
                    summary, found = loader()
                logins += found
                self.stdout.write(f"demo {name}: {summary} in {time.perf_counter() - started:.1f}s")
        if options["logins"]:
            for who, phone, password in logins:
                self.stdout.write(f"  {phone:16} {password}  {who}")
