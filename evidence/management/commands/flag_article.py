from django.core.management.base import BaseCommand, CommandError

from evidence.models import Article, Claim
from evidence.query.matching import with_candidates
from evidence.reports import build_report, report_as_csv, report_as_json, report_as_markdown
from evidence.support import Status

RENDERERS = {"md": report_as_markdown, "csv": report_as_csv, "json": report_as_json}


class Command(BaseCommand):
    help = (
        "Print an article's flag report (every statement with its computed status, certainty and reasons). "
        "With --fail-on, exit 1 when any statement has one of the given statuses, for use in scripts."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--format", choices=sorted(RENDERERS), default="md")
        parser.add_argument("--include-drafts", action="store_true", help="also count evidence links not reviewed yet")
        parser.add_argument(
            "--fail-on",
            default="",
            help=f"comma-separated statuses, from: {', '.join(s.value for s in Status)}",
        )

    def handle(self, *args, slug: str, format: str, fail_on: str, include_drafts: bool, **options):
        fail_statuses = self.parse_statuses(fail_on)
        article = Article.objects.filter(slug=slug).first()
        if article is None:
            raise CommandError(f"No article with slug {slug!r}.")
        report = with_candidates(
            build_report(article, Claim.objects.for_review().filter(article=article), include_drafts)
        )
        self.stdout.write(RENDERERS[format](report), ending="")
        failing = [s for s in report.statements if s.status in fail_statuses]
        if failing:
            self.stderr.write(f"{len(failing)} statements are {' or '.join(sorted(fail_statuses))}.")
            raise SystemExit(1)

    def parse_statuses(self, value: str) -> set[Status]:
        names = {name.strip() for name in value.split(",") if name.strip()}
        unknown = names - {status.value for status in Status}
        if unknown:
            raise CommandError(
                f"Unknown status {', '.join(sorted(unknown))}: use {', '.join(s.value for s in Status)}."
            )
        return {Status(name) for name in names}
