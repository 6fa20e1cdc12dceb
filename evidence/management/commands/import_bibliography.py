from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from evidence.bibliography.formats import IMPORT_FORMATS, UnknownFormat, parse
from evidence.bibliography.importer import commit_import, plan_import, report_lines
from evidence.screening import default_database, record_identification


class Command(BaseCommand):
    help = (
        "Import a bibliography (BibTeX, RIS, CSL-JSON or PubMed MEDLINE): print what happens to each entry "
        "(new, duplicate, conflict, failed) and a summary, then write the new records and the fills in one "
        "transaction. Exit status 1 when any entry failed. With --dry-run nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=["auto", *IMPORT_FORMATS], default="auto")
        parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")
        parser.add_argument("--user", help="the username to record as the records' creator")
        parser.add_argument("--database", default="", help="the database searched, for the PRISMA diagram")

    def handle(self, *args, path: Path, format: str, dry_run: bool, user: str | None, database: str, **options):
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        try:
            plan = plan_import(parse(data, format))
        except UnknownFormat as error:
            raise CommandError(f"{path}: {error}") from error
        creator = get_user_model().objects.filter(username=user).first() if user else None
        if user and creator is None:
            raise CommandError(f"No user {user!r}.")
        for line in report_lines(plan):
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        else:
            with transaction.atomic():  # the records and their PRISMA identification, or neither
                result = commit_import(plan, creator, provenance=f"Imported from {path.name} ({plan.format}).")
                record_identification(
                    plan, result, database or default_database(plan.format, path.name), path.name, creator
                )
            self.stdout.write(
                f"Wrote {len(result.created)} new screening candidates "
                f"and filled {len(result.updated)} existing records."
            )
        if plan.failed:
            raise SystemExit(1)
