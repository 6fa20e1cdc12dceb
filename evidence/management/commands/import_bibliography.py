from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from evidence.bibliography.formats import IMPORT_FORMATS, UnknownFormat
from evidence.bibliography.importer import (
    ImportedFile,
    ImportRefused,
    plan_import,
    read_import,
    report_lines,
)
from evidence.screening import commit_identified


class Command(BaseCommand):
    help = (
        "Import a bibliography (BibTeX, RIS, CSL-JSON or PubMed MEDLINE): print what happens to each entry "
        "(new, duplicate, conflict, failed) and a summary, then write the new records and the fills in one "
        "transaction, logged with the file's SHA-256. Exit status 1 when any entry failed. With --dry-run "
        "nothing is written."
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
            parsed = read_import(data, format)
        except (UnknownFormat, ImportRefused) as error:
            raise CommandError(f"{path}: {error}") from error
        creator = get_user_model().objects.filter(username=user).first() if user else None
        if user and creator is None:
            raise CommandError(f"No user {user!r}.")
        if dry_run:
            plan = plan_import(parsed)
        else:
            origin = ImportedFile.of(data, path.name)
            result = commit_identified(
                parsed, creator, f"Imported from {path.name} ({parsed.format}).", origin, database
            )
            plan = result.plan
        for line in report_lines(plan):
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        else:
            self.stdout.write(f"{result.message(origin.filename)} Batch {result.batch}.")
        if plan.failed:
            raise SystemExit(1)
