import json

from django.core.management.base import BaseCommand, CommandError

from reviews import services
from reviews.weeks import parse_week


class Command(BaseCommand):
    help = (
        "Open the week's lead-review meeting for every sales team that has none yet (idempotent). "
        'The last line of output is JSON: {"opened", "items", "carried_over"}.'
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--week", help="ISO week, e.g. 2026-W48 (default: the current week in each team's time zone)"
        )
        parser.add_argument("--json", action="store_true", help="print only the JSON summary")

    def handle(self, *args, week=None, json=False, **options):
        week_start = None
        if week:
            try:
                week_start = parse_week(week)
            except ValueError as error:
                raise CommandError(str(error)) from error
        summary = services.review_meetings_open_week(week_start=week_start)
        if not json:
            self.stdout.write(
                f"Opened {summary.opened} meeting(s) with {summary.items} item(s), "
                f"{summary.carried_over} carried over from last week."
            )
        self.stdout.write(_dumps(summary.as_dict()))


def _dumps(value) -> str:
    return json.dumps(value)
