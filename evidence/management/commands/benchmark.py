"""Speed and memory on the current database, each figure beside its floor: evidence/benchmarking.py measures,
this command prints."""

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from evidence import benchmarking
from evidence.models import Claim, Source


class Command(BaseCommand):
    help = (
        "Measure pages, import and export, and recomputing the stored claim statuses on the current database "
        "against their floors; --json for JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sources", type=int, help="first make the synthetic corpus this size (generate_corpus --seed 1) if absent"
        )
        parser.add_argument("--repeat", type=int, default=20, help="requests per page")
        parser.add_argument("--entries", type=int, default=10_000, help="entries to import and export")
        parser.add_argument("--only", choices=["pages", "bibliographies", "statuses"], help="measure one part")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, sources: int | None, repeat: int, entries: int, only: str | None, as_json: bool, **options):
        if sources:
            self.ensure_corpus(sources, quiet=as_json)
        if not Source.objects.exists():
            raise CommandError("The database is empty: run load_demo and generate_corpus --sources N first.")
        if as_json:
            figures = benchmarking.measure(repeat, entries, only)
            self.stdout.write(json.dumps(figures, indent=1))
            return
        self.stdout.write(f"{connection.vendor}: {Source.objects.count():,} sources, {Claim.objects.count():,} claims")
        self.stdout.write(benchmarking.HEADER)
        benchmarking.measure(repeat, entries, only, on_row=self.show_row)
        self.stdout.write("Times in ms; ratio = median / floor.")

    def ensure_corpus(self, size: int, quiet: bool) -> None:
        started = time.perf_counter()
        try:
            made = benchmarking.ensure_corpus(size)
        except benchmarking.CorpusMismatch as error:
            raise CommandError(str(error)) from error
        if made and not quiet:
            self.stdout.write(
                f"Generated {made['sources']:,} synthetic sources in {time.perf_counter() - started:.0f} s."
            )

    def show_row(self, row: dict) -> None:
        self.stdout.write(benchmarking.format_row(row))
        self.stdout.flush()
