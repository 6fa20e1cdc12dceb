import json

from django.core.management.base import BaseCommand

from evidence.query import quality


class Command(BaseCommand):
    help = (
        "Score the sources search on the judged development set (tests/data/search_dev_set.json) against the "
        "current database: mean nDCG@10, mean recall@10 and the number of queries that find nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the figures and per-query scores as JSON")

    def handle(self, *args, **options):
        result = quality.measure(quality.page_ranking, quality.load_dev_set())
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=1))
            return
        for score in result.scores:
            missed = f"  missed: {', '.join(score.missed)}" if score.missed else ""
            self.stdout.write(f"{score.ndcg:6.3f} {score.recall:6.3f} {score.found:4d}  {score.query}{missed}")
        self.stdout.write(
            f"{len(result.scores)} queries: nDCG@{quality.CUTOFF} {result.ndcg:.3f}, "
            f"recall@{quality.CUTOFF} {result.recall:.3f}, {result.zero_results} found nothing"
        )
