import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from alignment.exceptions import AlignmentError, NotAllowed
from leads.exceptions import LeadError
from leads.learning import OUTCOMES, definition_suggest
from leads.management.commands.backtest_definition import day


class Command(BaseCommand):
    help = (
        "Fit a new draft qualified-lead definition to the leads whose outcome is known, written in the rule "
        "language (points tables, bands, grade cut-offs, bucket thresholds, a sales-ready rule), with its "
        "backtest. It takes effect only when both leaders approve it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--outcome", choices=OUTCOMES, default="won", help="What counts as success (won).")
        parser.add_argument("--since", type=day, help="Leads created on or after this day (YYYY-MM-DD).")
        parser.add_argument("--until", type=day, help="Leads created on or before this day (YYYY-MM-DD).")
        parser.add_argument("--by", help="The username recorded as the drafter (default: none, the operator).")
        parser.add_argument("--name", default="", help="The draft's name.")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the result as JSON last.")

    def handle(self, *args, outcome: str, since=None, until=None, as_json=False, **options):
        by = None
        if options["by"]:
            by = get_user_model().objects.filter(username=options["by"], is_active=True).first()
            if by is None:
                raise CommandError(f"No active user is called '{options['by']}'.")
        try:
            definition, card, backtest = definition_suggest(
                by=by, outcome=outcome, since=since, until=until, name=options["name"]
            )
        except (LeadError, AlignmentError, NotAllowed) as error:
            raise CommandError(str(error)) from error
        auc = "n/a" if backtest["auc"] is None else f"{backtest['auc']:.3f}"
        self.stdout.write(
            f"Drafted v{definition.version} '{definition.name}': {len(card.rules)} rules fitted to {card.leads:,} "
            f"leads ({card.successes:,} successes); ROC-AUC {card.train_auc:.3f} on them, backtest {auc}."
        )
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "version": definition.version,
                        "rules": len(card.rules),
                        "leads": card.leads,
                        "train_auc": round(card.train_auc, 4),
                    }
                )
            )
