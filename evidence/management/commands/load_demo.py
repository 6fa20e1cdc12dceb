from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from evidence import caching
from evidence.demo import FIXTURE_FILES
from evidence.models import Source
from evidence.roles import ensure_curator_group

DEMO_CURATOR = "curator"
DEMO_PASSWORD = "kratom-demo-curator"


class Command(BaseCommand):
    help = (
        "Load the real demo data (compounds, sources, the seed article with its claims and evidence, adverse-effect "
        "reports) and create the demo curator login. Safe to run again: records are matched by natural key, so a "
        "second run updates them instead of adding copies."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--curator-password",
            help=f"password for the '{DEMO_CURATOR}' login (default when DEBUG is on: {DEMO_PASSWORD})",
        )

    def handle(self, *args, **options):
        with transaction.atomic():
            caching.changed()  # loaddata's raw saves signal, the bulk author names that follow do not
            call_command("loaddata", *FIXTURE_FILES, verbosity=options["verbosity"])
            # The fixtures list authors, not the author_names built from them (loaddata leaves that to us).
            Source.objects.rebuild_author_names()
            # Fixtures load raw, without history: give each record its first version, so that the
            # admin can show what a later edit changed.
            call_command("populate_history", auto=True, verbosity=0)
            group = ensure_curator_group()
        self.create_curator(group, options["curator_password"])

    def create_curator(self, group, password):
        users = get_user_model().objects
        if users.filter(username=DEMO_CURATOR).exists():
            self.stdout.write(f"The '{DEMO_CURATOR}' login exists already; its password is left as it is.")
            return
        if password is None and not settings.DEBUG:
            self.stdout.write(f"DEBUG is off: no '{DEMO_CURATOR}' login made without --curator-password.")
            return
        user = users.create_user(DEMO_CURATOR, password=password or DEMO_PASSWORD, is_staff=True)
        user.groups.add(group)
        self.stdout.write(f"Created the demo curator login '{DEMO_CURATOR}'.")
