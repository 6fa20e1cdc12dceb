"""One load test from start to end: gunicorn with production settings on a free loopback port, locust's
readers against it, gunicorn stopped whatever happens; or locust's readers against a site already running
on this machine (`--target`). The `load_test` command runs it and prints."""

from __future__ import annotations

import importlib.util
import ipaddress
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
from urllib.parse import urlsplit

from django.conf import settings

from . import LoadFigures, run_locust, write_plan

TARGET_P95_MS = 300
# gunicorn as docs/deployment.md runs it: a worker per core and one more, four threads each (a reader waiting
# for another's page holds a thread, not a worker; docs/performance.md, "Cold pages").
WORKERS = (os.cpu_count() or 1) + 1
THREADS = 4
KEEP_ALIVE_SECONDS = 10


class LoadTestError(RuntimeError):
    """The load test could not run; the message says why (with the end of gunicorn's log once it ran)."""


def target_met(figures: list[LoadFigures]) -> bool:
    """No failures, and the total's p95 under the target (the total is locust's last row)."""
    total = figures[-1]
    return total.failures == 0 and total.p95_ms < TARGET_P95_MS


def run_load_test(
    users: int,
    seconds: int,
    workers: int,
    think: tuple[float, float],
    threads: int = 1,
    on_serving: Callable[[], None] | None = None,
) -> list[LoadFigures]:
    """Serve the site with gunicorn, let `users` readers load it for `seconds`, and return locust's figures.
    `on_serving` is called once gunicorn answers, before the readers start."""
    require_locust()
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
        # The site's own log (JSON lines on the workers' stderr): a request that failed shows why.
        site_log_path = Path(work) / "site.log"
        with site_log_path.open("w", encoding="utf-8") as site_log:
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
                    "--threads",
                    str(threads),
                    "--timeout",
                    "60",
                    # locust's readers keep their connection open between pages, as browsers do, and pause up to
                    # a few seconds (more when the machine is saturated): with threads, gunicorn's default 2 s
                    # keep-alive closed connections as a reader sent on them (a reset, counted as a failure).
                    # Behind the proxy docs/deployment.md puts in front, gunicorn sees no readers' keep-alive.
                    "--keep-alive",
                    str(KEEP_ALIVE_SECONDS),
                    "--error-logfile",
                    str(log),
                ],
                env=env,
                cwd=settings.BASE_DIR,
                stdout=site_log,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until_serving(host + "/", server)
                if on_serving:
                    on_serving()
                figures = run_locust(host, plan, users, seconds, Path(work), sys.executable)
                for line in logged(site_log_path, ('"level": "ERROR"',), most=3):
                    print(f"the site logged: {line}", file=sys.stderr)
                # A worker that timed out or died.
                for line in logged(log, ("[CRITICAL]", "[ERROR]"), most=5):
                    print(f"gunicorn logged: {line}", file=sys.stderr)
                return figures
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


def logged(path: Path, markers: tuple[str, ...], most: int) -> list[str]:
    """The first few lines of a log that carry one of the markers (shortened: a 500's traceback is in its
    line)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", errors="replace") as lines:
        return [line[:3000].rstrip() for line in lines if any(marker in line for marker in markers)][:most]


def run_load_test_against(
    target: str,
    users: int,
    seconds: int,
    think: tuple[float, float],
    on_serving: Callable[[], None] | None = None,
) -> list[LoadFigures]:
    """Let `users` readers load a site already running on this machine at `target` (a base URL on the
    loopback) for `seconds`. The URLs are sampled from this process's database: the target must serve it."""
    require_locust()
    base = loopback_base_url(target)
    wait_until_serving(base + "/", server=None, seconds=10)
    if on_serving:
        on_serving()
    with tempfile.TemporaryDirectory() as work:
        plan = write_plan(Path(work) / "urls.json", think)
        return run_locust(base, plan, users, seconds, Path(work), sys.executable)


def loopback_base_url(target: str) -> str:
    """`target` as a base URL, if it is one on this machine's loopback: a load test is never aimed at
    somebody else's site, whatever a typo or a copied command says."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LoadTestError(f"--target must be a base URL such as http://127.0.0.1:8000, not {target!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise LoadTestError(f"--target is the site's base URL, without a path or query: {target!r}")
    if not is_loopback(parts.hostname):
        raise LoadTestError(
            f"--target must be on this machine's loopback (localhost, 127.0.0.1, [::1]), not {parts.hostname!r}: "
            "the load test does not run against other hosts"
        )
    return f"{parts.scheme}://{parts.netloc}"


def is_loopback(host: str) -> bool:
    # Names other than localhost are not resolved: what a name points at can change between the check and locust.
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_locust() -> None:
    if importlib.util.find_spec("locust") is None:
        raise LoadTestError("locust is not installed: pip install -r requirements-dev.txt")


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


def wait_until_serving(url: str, server: subprocess.Popen | None, seconds: int = 60) -> None:
    """Until `url` answers 200; `server` is the gunicorn we started, None for a site already running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise LoadTestError(f"gunicorn stopped with exit code {server.returncode} before serving")
        try:
            request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise LoadTestError(f"{'gunicorn' if server else 'nothing'} did not answer 200 at {url} within {seconds} s")
