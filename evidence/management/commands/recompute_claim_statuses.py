from django.core.management.base import BaseCommand

from evidence import claim_status
from evidence.models import Claim
from evidence.wording import count


class Command(BaseCommand):
    help = (
        "Recompute every claim's stored status and certainty from the rules (evidence/claim_status.py). With "
        "--check, write nothing: list the claims whose stored status differs from the computed one and exit 1 "
        "when there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report drift instead of fixing it")

    def handle(self, *args, check: bool, **options):
        if not check:
            changed = claim_status.recompute_all()
            self.stdout.write(f"{count(Claim.objects.count(), 'claim')} recomputed: {len(changed):,} changed.")
            return
        drifted = claim_status.drift()
        for found in drifted:
            self.stdout.write(f"claim {found.claim_id}: stored {found.stored or '(none)'}, computed {found.computed}")
        if drifted:
            differ = "stored status differs" if len(drifted) == 1 else "stored statuses differ"
            self.stderr.write(f"{len(drifted):,} {differ} from the rules: run recompute_claim_statuses.")
            raise SystemExit(1)
        self.stdout.write(f"{count(Claim.objects.count(), 'claim')}: every stored status is as the rules give it.")
