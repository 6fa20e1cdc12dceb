"""One load test from start to end: gunicorn with production settings on a free loopback port, locust's
readers against it, gunicorn stopped whatever happens. The `load_test` command runs it and prints."""

from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from . import LoadFigures, run_locust, write_plan

TARGET_P95_MS = 300


class LoadTestError(RuntimeError):
    """The load test could not run; the message says why (with the end of gunicorn's log once it ran)."""


def target_met(figures: list[LoadFigures]) -> bool:
    """No failures, and the total's p95 under the target (the total is locust's last row)."""
    total = figures[-1]
    return total.failures == 0 and total.p95_ms < TARGET_P95_MS


def run_load_test(
    users: int, seconds: int, workers: int, think: tuple[float, float], on_serving: Callable[[], None] | None = None
) -> list[LoadFigures]:
    """Serve the site with gunicorn, let `users` readers load it for `seconds`, and return locust's figures.
    `on_serving` is called once gunicorn answers, before the readers start."""
    if importlib.util.find_spec("locust") is None:
        raise LoadTestError("locust is not installed: pip install -r requirements-dev.txt")
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    env = production_env()
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
            if on_serving:
                on_serving()
            return run_locust(host, plan, users, seconds, Path(work), sys.executable)
        except RuntimeError as error:
            raise LoadTestError(
                f"{error}\ngunicorn's log ends:\n{log.read_text()[-3000:] if log.exists() else ''}"
            ) from error
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def production_env() -> dict[str, str]:
    """Production settings, as docs/deployment.md runs them: DEBUG off, a TLS proxy in front."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "SECURE_PROXY_SSL_HEADER": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "60",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise LoadTestError(f"gunicorn stopped with exit code {server.returncode} before serving")
        try:
            request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise LoadTestError(f"gunicorn did not answer {url} within {seconds} s")
