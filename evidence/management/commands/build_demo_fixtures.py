from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evidence.demo import build_fixtures, write_fixtures


class Command(BaseCommand):
    help = (
        "Rebuild fixtures/*.json from the curated files in ../shared/data (sources.bib, seed-article.txt, "
        "seed-claims.json, adverse-effects.json). Run it when the shared data changes, then commit the fixtures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--shared", default=str(settings.SHARED_DATA_DIR), help="the shared data folder")

    def handle(self, *args, **options):
        from pathlib import Path

        shared = Path(options["shared"])
        if not (shared / "sources.bib").is_file():
            raise CommandError(f"No sources.bib in {shared}: point --shared at the shared data folder.")
        for path in write_fixtures(build_fixtures(shared), settings.FIXTURE_DIRS[0]):
            self.stdout.write(f"wrote {path}")
