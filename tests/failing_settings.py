"""The site's settings with the test-only URLconf that can raise a server error (tests/failing_urls.py)."""

from evidence.settings import *  # noqa: F403

ROOT_URLCONF = "tests.failing_urls"
