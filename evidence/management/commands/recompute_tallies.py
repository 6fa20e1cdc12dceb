from django.core.management.base import BaseCommand

from evidence import tallies


class Command(BaseCommand):
    help = (
        "Rebuild the tallies of the home page and the adverse-effects overview from every source "
        "(evidence/tallies.py). With --check, write nothing: list the figures where the tallies differ from "
        "counting and exit 1 when there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report drift instead of mending it")

    def handle(self, *args, check: bool, **options):
        if not check:
            self.stdout.write(f"The tallies rebuilt from {tallies.rebuild():,} sources.")
            return
        drifted = tallies.drift()
        for line in drifted:
            self.stdout.write(line)
        if drifted:
            self.stderr.write(f"{len(drifted):,} figures differ from counting: run recompute_tallies.")
            raise SystemExit(1)
        self.stdout.write("Every tally is as counting gives it.")
