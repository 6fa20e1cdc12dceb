from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from evidence.retractions import RetractionFileError, import_retractions


class Command(BaseCommand):
    help = (
        "Mark the sources the Retraction Watch database names (its CSV as Crossref distributes it) as "
        "retracted, corrected or under an expression of concern, with date, reason and notice, matched by "
        "DOI or PMID; print which sources and which claims' statuses changed and the rows skipped. All in one "
        "transaction; with --dry-run nothing is written. Importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="retraction_watch.csv")
        parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")
        parser.add_argument("--user", help="the username the sources' history records")

    def handle(self, *args, path: Path, dry_run: bool, user: str | None, **options):
        curator = get_user_model().objects.filter(username=user).first() if user else None
        if user and curator is None:
            raise CommandError(f"No user {user!r}.")
        try:
            with path.open("rb") as stream:
                report = import_retractions(stream, curator, dry_run)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        except RetractionFileError as error:
            raise CommandError(f"{path}: {error}") from error
        for line in report.lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
