from django.core.management.base import BaseCommand, CommandError

from kopdes.core.errors import DomainError
from kopdes.monitoring.services_reports import reports_reap_old


class Command(BaseCommand):
    help = (
        "Remove the monthly reports (PDF and Excel files) that ended more than "
        "KOPDES_REPORT_KEEP_DAYS days ago (90 by default); they can be made again. For cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="keep this many days instead")

    def handle(self, *args, **options):
        try:
            removed = reports_reap_old(keep_days=options["days"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"reports removed: {removed}")
