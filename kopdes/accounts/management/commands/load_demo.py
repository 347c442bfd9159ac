import time

from django.core.management.base import BaseCommand

from kopdes.accounts.demo import demo_world_load
from kopdes.core.request_context import channel


class Command(BaseCommand):
    help = "Build the demo world (people for every role, organisations) on the real regions. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--logins", action="store_true", help="print the demo logins")

    def handle(self, *args, **options):
        started = time.perf_counter()
        with channel("cli"):
            result = demo_world_load()
        self.stdout.write(
            f"demo: {result.users} users, {result.roles} roles, {result.organizations} organisations "
            f"created in {time.perf_counter() - started:.1f}s"
        )
        if options["logins"]:
            for who, phone, password in result.logins:
                self.stdout.write(f"  {phone:16} {password}  {who}")
