"""Readers of the site, for locust: each waits a moment, then opens a page of a kind chosen by WEIGHTS.

Run through `python manage.py load_test`, which samples the URLs and their weights from the database into
the JSON file named by LOAD_TEST_URLS (this file imports nothing of Django's). Requests say they came
through a TLS proxy (X-Forwarded-Proto), as they do in production.
"""

import json
import os
import random

from locust import HttpUser, between, task

with open(os.environ["LOAD_TEST_URLS"], encoding="utf-8") as plan:
    PLAN = json.load(plan)
URLS, WEIGHTS, (FASTEST, SLOWEST) = PLAN["urls"], PLAN["weights"], PLAN["think_seconds"]
KINDS = [kind for kind in WEIGHTS if URLS.get(kind)]


class Reader(HttpUser):
    wait_time = between(FASTEST, SLOWEST)  # a reader's pause between pages

    @task
    def open_a_page(self):
        kind = random.choices(KINDS, weights=[WEIGHTS[kind] for kind in KINDS])[0]
        self.client.get(random.choice(URLS[kind]), name=kind, headers={"X-Forwarded-Proto": "https"})
