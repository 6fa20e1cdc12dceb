import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from evidence import synthetic


class Command(BaseCommand):
    help = (
        "Create a deterministic synthetic corpus for scale tests (N sources, N/2 authors, ~3.5N author links, "
        "N/5 claims in N/500 articles, the first with up to 1,000, ~5N evidence links, ~N/2 adverse-effect "
        "reports), every record marked "
        f"synthetic (keys {synthetic.SYNTHETIC_PREFIX}…). --remove deletes it again and touches nothing else."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sources", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--remove", action="store_true", help="delete the synthetic corpus")

    def handle(self, *args, sources: int, seed: int, remove: bool, **options):
        started = time.perf_counter()
        if remove:
            counts = synthetic.remove()
            verb = "Removed"
        else:
            if sources < 1:
                raise CommandError("--sources must be at least 1.")
            if synthetic.Source.objects.filter(key__startswith=synthetic.SYNTHETIC_PREFIX).exists():
                raise CommandError("A synthetic corpus exists already: run generate_corpus --remove first.")
            counts = synthetic.generate(sources, seed)
            verb = "Made"
        # Statistics for the planner, as after any load this size: without them SQLite reads the home page's
        # latest reviewed sources by their curation status and sorts them all (90 ms at 100,000), not by
        # their index in that order (PostgreSQL's autovacuum would gather them in a while).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        summary = ", ".join(f"{number:,} {name}" for name, number in counts.items())
        self.stdout.write(f"{verb} {summary} in {time.perf_counter() - started:.1f} s.")
