"""The load test: which URLs readers ask for (sampled from the database), and what locust measured.

`python manage.py load_test` starts gunicorn, runs locust headless against it (locustfile.py) and reads
locust's CSV into figures; docs/performance.md has the figures and how to reproduce them.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.urls import reverse

from ..models import Article, Claim, Source

# What readers type into the search box, and the facets they tick.
SEARCHES = ["kratom", "mitragynine", "7-hydroxymitragynine", "withdrawal", "liver injury", "pain", "opioid"]
FACET_CHOICES = ["", "&design=animal-study", "&population=humans", "&compound=mitragynine", "&curation=reviewed"]
SAMPLE_SIZE = 200
# Readers mostly look things up; the review page and the exports are the heavy part of the mix.
WEIGHTS = {
    "home": 2,
    "sources list": 6,
    "source": 6,
    "claims list": 2,
    "claim": 5,
    "article review": 2,
    "adverse effects": 1,
    "evidence map": 1,
    "source export": 3,
    "statement export": 2,
}


def sample_urls(seed: int = 1) -> dict[str, list[str]]:
    """For each kind of page in WEIGHTS, up to SAMPLE_SIZE of its URLs, the same for the same data and seed."""
    chooser = random.Random(seed)
    source_keys = _sample(chooser, Source.objects.public().values_list("key", flat=True))
    claim_ids = _sample(chooser, Claim.objects.filter(evidence__isnull=False).distinct().values_list("pk", flat=True))
    slugs = _sample(chooser, Article.objects.values_list("slug", flat=True))
    formats = ["bibtex", "ris", "csljson", "csv"]
    return {
        "home": [reverse("evidence:home")],
        "sources list": [
            f"{reverse('evidence:sources')}?q={query.replace(' ', '+')}{facet}"
            for query in SEARCHES
            for facet in FACET_CHOICES
        ],
        "source": [reverse("evidence:source", args=[key]) for key in source_keys],
        "claims list": [reverse("evidence:claims")]
        + [f"{reverse('evidence:claims')}?article={slug}" for slug in slugs],
        "claim": [reverse("evidence:claim", args=[pk]) for pk in claim_ids],
        "article review": [reverse("evidence:article", args=[slug]) for slug in slugs],
        "adverse effects": [reverse("evidence:adverse-effects")],
        "evidence map": [reverse("evidence:evidence-map")]
        + [f"{reverse('evidence:evidence-map')}?article={slug}" for slug in slugs],
        "source export": [
            reverse("evidence:source-export", args=[key, chooser.choice(formats)]) for key in source_keys
        ],
        "statement export": [
            reverse("evidence:claim-sources-export", args=[pk, chooser.choice(formats)]) for pk in claim_ids
        ],
    }


def write_plan(path: Path, think_seconds: tuple[float, float]) -> Path:
    """What locustfile.py reads: the sampled URLs, the weights of each kind, the readers' pauses."""
    path.write_text(
        json.dumps({"urls": sample_urls(), "weights": WEIGHTS, "think_seconds": list(think_seconds)}), encoding="utf-8"
    )
    return path


def _sample(chooser: random.Random, values) -> list:
    # Sorted first: a database returns unordered rows in any order, and the sample must not depend on it.
    everything = sorted(values)
    return chooser.sample(everything, min(SAMPLE_SIZE, len(everything)))


@dataclass(frozen=True)
class LoadFigures:
    name: str
    requests: int
    failures: int
    median_ms: float
    p95_ms: float
    per_second: float

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


def read_locust_stats(path: Path) -> list[LoadFigures]:
    """locust's `<prefix>_stats.csv`: one row per kind of page, and the total ("Aggregated") last."""
    with path.open(newline="", encoding="utf-8") as stats:
        return [
            LoadFigures(
                row["Name"],
                int(row["Request Count"]),
                int(row["Failure Count"]),
                float(row["50%"] if row["50%"] != "N/A" else 0),
                float(row["95%"] if row["95%"] != "N/A" else 0),
                float(row["Requests/s"]),
            )
            for row in csv.DictReader(stats)
        ]


def run_locust(host: str, plan: Path, users: int, seconds: int, out_dir: Path, python: str) -> list[LoadFigures]:
    """Run locust headless (all readers started within the first seconds) and read its figures."""
    prefix = out_dir / "locust"
    command = [
        python,
        "-m",
        "locust",
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(max(1, users // 5)),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--host",
        host,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    # Bounded: the run time, plus the stop timeout and start-up, and no more.
    finished = subprocess.run(
        command, env={**os.environ, "LOAD_TEST_URLS": str(plan)}, capture_output=True, text=True, timeout=seconds + 60
    )
    stats = prefix.with_name("locust_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"locust wrote no figures (exit {finished.returncode}): {finished.stderr[-2000:]}")
    for failure in read_locust_failures(prefix.with_name("locust_failures.csv")):
        print(f"failed: {failure}", file=sys.stderr)
    return read_locust_stats(stats)


def read_locust_failures(path: Path) -> list[str]:
    """locust's `<prefix>_failures.csv`: what failed, on which page kind, how often (a line each)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as failures:
        return [f"{row['Name']}: {row['Error']} ×{row['Occurrences']}" for row in csv.DictReader(failures)]
