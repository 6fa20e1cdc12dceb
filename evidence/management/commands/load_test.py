"""50 readers for 60 seconds against gunicorn on this machine, through locust; prints what they got.

Loopback only and bounded: gunicorn listens on 127.0.0.1 and is stopped at the end whatever happens;
locust runs for --seconds and is killed a minute after that at the latest.
"""

import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from evidence.load import run_locust, write_plan
from evidence.models import Source

TARGET_P95_MS = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError(f"gunicorn stopped with exit code {server.returncode} before serving")
        try:
            request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise CommandError(f"gunicorn did not answer {url} within {seconds} s")


class Command(BaseCommand):
    help = "Load-test the public pages and exports: gunicorn (production settings) + locust, loopback only."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
        parser.add_argument(
            "--think",
            type=float,
            nargs=2,
            default=[0.5, 1.5],
            metavar=("MIN", "MAX"),
            help="seconds a reader pauses between pages, drawn evenly between the two",
        )
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, users: int, seconds: int, workers: int, think: list[float], as_json: bool, **options):
        if importlib.util.find_spec("locust") is None:
            raise CommandError("locust is not installed: pip install -r requirements-dev.txt")
        if connection.vendor != "postgresql" and not as_json:
            self.stderr.write(f"Note: the target is for PostgreSQL; this database is {connection.vendor}.")
        port = free_port()
        host = f"http://127.0.0.1:{port}"
        # Production settings, as docs/deployment.md runs them: DEBUG off, a TLS proxy in front.
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "SECURE_PROXY_SSL_HEADER": "1",
            "ALLOWED_HOSTS": "127.0.0.1",
            "CONN_MAX_AGE": "60",
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            env=env,
            check=True,
            cwd=settings.BASE_DIR,
        )
        with tempfile.TemporaryDirectory() as work:
            plan = write_plan(Path(work) / "urls.json", think)
            log = Path(work) / "gunicorn.log"
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "evidence.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--timeout",
                    "60",
                    "--error-logfile",
                    str(log),
                ],
                env=env,
                cwd=settings.BASE_DIR,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until_serving(host + "/", server)
                if not as_json:
                    self.stdout.write(
                        f"{users} readers (pausing {think[0]:g}–{think[1]:g} s) for {seconds} s against gunicorn "
                        f"({workers} workers) on {connection.vendor}, {Source.objects.count():,} sources…"
                    )
                figures = run_locust(host, plan, users, seconds, Path(work), sys.executable)
            except (CommandError, RuntimeError) as error:
                raise CommandError(
                    f"{error}\ngunicorn's log ends:\n{log.read_text()[-3000:] if log.exists() else ''}"
                ) from error
            finally:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
        self.show(figures, as_json)

    def show(self, figures, as_json: bool) -> None:
        total = figures[-1]
        met = total.failures == 0 and total.p95_ms < TARGET_P95_MS
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
        verdict = "met" if met else "missed"
        self.stdout.write(
            f"Target (no errors, p95 under {TARGET_P95_MS} ms): {verdict}; "
            f"error rate {total.error_rate:.2%}, {total.per_second:.1f} requests/s."
        )
