import json

from django.core.management.base import BaseCommand, CommandError

from evidence.models import Article, Claim
from evidence.query import quality


class Command(BaseCommand):
    help = (
        "Score the sources search on the judged development set (tests/data/search_dev_set.json) against the "
        "current database: mean nDCG@10, mean recall@10 and the number of queries that find nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the figures and per-query scores as JSON")
        parser.add_argument(
            "--statements",
            metavar="ARTICLE",
            help="score evidence matching instead, on this article's statements (its curated links are the truth)",
        )

    def handle(self, *args, **options):
        if options["statements"]:
            article = Article.objects.filter(slug=options["statements"]).first()
            if article is None:
                raise CommandError(f"No article with slug {options['statements']!r}.")
            claims = Claim.objects.filter(article=article).prefetch_related("evidence__source")
            figures = quality.statement_matching(claims).as_dict()
            self.stdout.write(json.dumps(figures, indent=1) if options["json"] else str(figures))
            return
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
