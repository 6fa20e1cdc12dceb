import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from evidence.bibliography import styles
from evidence.bibliography.formats import EXPORT_FORMATS
from evidence.bibliography.formatted import check_style
from evidence.bibliography.sources import records_of
from evidence.filters import find_sources


class Command(BaseCommand):
    help = (
        "Write the sources, or those a search selects (the same filters and order as /sources/), as BibTeX, "
        "RIS, CSL-JSON, CSV or formatted references in any CSL style."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=list(EXPORT_FORMATS), default="bibtex")
        parser.add_argument(
            "--style",
            default="apa",
            help="for --format text, html or rtf: apa, vancouver, ama, chicago or any CSL style id (e.g. nature)",
        )
        parser.add_argument(
            "--internal",
            action="store_true",
            help="a curator's copy: include the provenance, which public files never carry",
        )
        parser.add_argument("--output", type=Path, help="a file to write (default: standard output)")
        parser.add_argument("--q", help="full-text search, as in the search box")
        for name in ("compound", "design", "population", "retraction", "curation", "adverse-effect"):
            parser.add_argument(f"--{name}", action="append", default=[], help="may be repeated")
        parser.add_argument("--year-from", type=int)
        parser.add_argument("--year-to", type=int)
        parser.add_argument("--sort", default="", help="relevance, newest, oldest, author or title")

    def handle(self, *args, format: str, style: str, output: Path | None, internal: bool, **options):
        try:
            check_style(style)
        except styles.UnknownStyle as error:
            raise CommandError(str(error)) from error
        found = find_sources(self.query(options))
        if not found.valid or found.errors:
            raise CommandError(" ".join(found.errors))
        chunks = EXPORT_FORMATS[format].write(records_of(found.results, internal), style)
        if output is None:
            for chunk in chunks:
                sys.stdout.write(chunk)
            return
        with output.open("w", encoding="utf-8", newline="") as file:
            for chunk in chunks:
                file.write(chunk)
        self.stderr.write(f"Wrote {found.results.count()} sources to {output}.")

    def query(self, options: dict) -> QueryDict:
        """The options as the query string the sources page would get."""
        data = QueryDict(mutable=True)
        for option, param in [("q", "q"), ("year_from", "year_from"), ("year_to", "year_to"), ("sort", "sort")]:
            if options.get(option) not in (None, ""):
                data[param] = str(options[option])
        for option in ("compound", "design", "population", "retraction", "curation", "adverse_effect"):
            data.setlist(option, options[option])
        return data
