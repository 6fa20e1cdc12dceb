"""50 readers for 60 seconds against gunicorn on this machine, through locust; prints what they got, per kind
of page. With --target, against a site already running on this machine instead (one box of several, a
gunicorn behind a local proxy), which must serve the same database: the URLs are sampled from it.

Loopback only and bounded (evidence/load/runner.py): gunicorn listens on 127.0.0.1 and is stopped at the
end whatever happens, a --target off the loopback is refused; locust runs for --seconds and is killed a
minute after that at the latest.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from evidence.load.runner import (
    TARGET_P95_MS,
    THREADS,
    WORKERS,
    LoadTestError,
    run_load_test,
    run_load_test_against,
    target_met,
)
from evidence.models import Source


class Command(BaseCommand):
    help = "Load-test the public pages and exports: gunicorn (production settings) + locust, loopback only."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn workers")
        parser.add_argument(
            "--threads",
            type=int,
            default=THREADS,
            help="threads per gunicorn worker (more than one: gthread, where a reader waiting for another's page "
            "holds a thread, not a worker)",
        )
        parser.add_argument(
            "--think",
            type=float,
            nargs=2,
            default=[0.5, 1.5],
            metavar=("MIN", "MAX"),
            help="seconds a reader pauses between pages, drawn evenly between the two",
        )
        parser.add_argument(
            "--target",
            metavar="URL",
            help="the base URL of a site already running on the loopback (e.g. http://127.0.0.1:8000) "
            "to load instead of starting gunicorn; it must serve this database",
        )
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(
        self,
        *args,
        users: int,
        seconds: int,
        workers: int,
        threads: int,
        think: list[float],
        target: str | None,
        as_json: bool,
        **options,
    ):
        if connection.vendor != "postgresql" and not as_json:
            self.stderr.write(f"Note: the target is for PostgreSQL; this database is {connection.vendor}.")

        def announce(server: str) -> None:
            if not as_json:
                self.stdout.write(
                    f"{users} readers (pausing {think[0]:g}–{think[1]:g} s) for {seconds} s against {server} "
                    f"on {connection.vendor}, {Source.objects.count():,} sources…"
                )

        try:
            if target:
                figures = run_load_test_against(
                    target, users, seconds, (think[0], think[1]), on_serving=lambda: announce(target)
                )
            else:
                figures = run_load_test(
                    users,
                    seconds,
                    workers,
                    think,
                    threads,
                    on_serving=lambda: announce(f"gunicorn ({workers} workers × {threads} threads)"),
                )
        except LoadTestError as error:
            raise CommandError(str(error)) from error
        self.show(figures, as_json)

    def show(self, figures, as_json: bool) -> None:
        met = target_met(figures)
        if as_json:
            self.stdout.write(
                json.dumps(
                    {"database": connection.vendor, "rows": [vars(f) for f in figures], "target_met": met}, indent=1
                )
            )
            return
        self.stdout.write(f"{'page':<22}{'requests':>10}{'failures':>10}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}")
        for row in figures:
            self.stdout.write(
                f"{row.name:<22}{row.requests:>10}{row.failures:>10}{row.median_ms:>9.0f}{row.p95_ms:>9.0f}"
                f"{row.per_second:>8.1f}"
            )
        total = figures[-1]
        verdict = "met" if met else "missed"
        self.stdout.write(
            f"Target (no errors, p95 under {TARGET_P95_MS} ms): {verdict}; "
            f"error rate {total.error_rate:.2%}, {total.per_second:.1f} requests/s."
        )
