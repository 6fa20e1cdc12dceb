"""Replay a labelled set through prioritised screening and random order, as ASReview's simulation mode."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from evidence import prioritising
from evidence.bibliography.formats import parse
from evidence.models import Source

# Real records unrelated to kratom (provenance: ../shared/data/realworld/README.md): dinosaur palaeontology
# (the Scopus RIS and PubMed exports), drug repurposing, paediatric oncology. Any record naming kratom, its
# alkaloids, opioids or pain is left out of the negatives: a reviewer could call those relevant.
UNRELATED_FILES = [
    "realworld/ris/asreview-citation-file-formatting___baseline_scopus.ris",
    "realworld/medline/asreview-citation-file-formatting___baseline_pubmed.ris",
    "realworld/csl-json/dhimmel-rephetio-manuscript__manual-references-freeze.json",
    "realworld/csl-json/AlexsLemonade-OpenPBTA-manuscript__manual-references.json",
]
NEAR_THE_TOPIC = re.compile(r"kratom|mitragyn|opioid|opiate|analges|\bpain\b", re.IGNORECASE)


class Command(BaseCommand):
    help = (
        "Simulate prioritised screening on a labelled set: included = the sources included in the database "
        "(the demo's), excluded = unrelated real records of ../shared/data/realworld. Prints WSS@95, WSS@100 "
        "and the recall curve against random order; --svg writes the curves as an image."
    )

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5, help="runs with different random starts (default 5)")
        parser.add_argument("--retrain-every", type=int, default=settings.SCREENING_RETRAIN_EVERY)
        parser.add_argument("--fields", choices=["all", "title"], default="all", help="title, abstract, keywords")
        parser.add_argument("--svg", type=Path, help="write the recall curves to this SVG file")

    def handle(self, *args, runs: int, retrain_every: int, fields: str, svg: Path | None, **options):
        texts, labels = labelled_set(fields == "title")
        self.stdout.write(f"Labelled set: {sum(labels)} relevant, {len(labels) - sum(labels)} irrelevant records.")
        matrix = prioritising.features(texts)
        model = [prioritising.simulate(matrix, labels, seed, retrain_every) for seed in range(runs)]
        random = [prioritising.simulate(matrix, labels, seed, retrain_every, prioritised=False) for seed in range(runs)]
        for name, simulations in (("prioritised", model), ("random", random)):
            wss95 = [prioritising.work_saved(s, 0.95) for s in simulations]
            wss100 = [prioritising.work_saved(s, 1.0) for s in simulations]
            at95 = [s.screened_for(0.95) for s in simulations]
            self.stdout.write(
                f"{name:>11}: WSS@95 {statistics.mean(wss95):.1%} (runs {min(wss95):.1%}–{max(wss95):.1%}), "
                f"WSS@100 {statistics.mean(wss100):.1%}, records screened for 95% recall {statistics.mean(at95):.0f} "
                f"of {len(labels)}"
            )
        curves = {"prioritised (mean)": mean_curve(model), "random order (mean)": mean_curve(random)}
        self.stdout.write("screened  " + "  ".join(f"{name:>20}" for name in curves))
        for percent in (5, 10, 20, 30, 40, 50, 75, 100):
            index = max(0, round(len(labels) * percent / 100) - 1)
            self.stdout.write(f"{percent:>7}%  " + "  ".join(f"{curve[index]:>20.1%}" for curve in curves.values()))
        if svg:
            title = f"Recall while screening {len(labels)} records ({sum(labels)} relevant), {runs} runs"
            svg.write_text(prioritising.recall_curve_svg(curves, title))
            self.stdout.write(f"Wrote {svg}.")


def labelled_set(titles_only: bool) -> tuple[list[str], list[bool]]:
    def text(title, abstract, keywords):
        return title if titles_only else prioritising.record_text(title, abstract, keywords)

    relevant = [text(*row) for row in Source.objects.screened_in().values_list("title", "abstract", "keywords")]
    irrelevant, seen = [], set()
    for name in UNRELATED_FILES:
        for record in parse((Path(settings.SHARED_DATA_DIR) / name).read_bytes()).records:
            whole = prioritising.record_text(record.title, record.abstract, record.keywords)
            if record.title and record.title.lower() not in seen and not NEAR_THE_TOPIC.search(whole):
                seen.add(record.title.lower())
                irrelevant.append(text(record.title, record.abstract, record.keywords))
    return relevant + irrelevant, [True] * len(relevant) + [False] * len(irrelevant)


def mean_curve(simulations: list[prioritising.Simulation]) -> list[float]:
    return [statistics.mean(values) for values in zip(*(s.recall for s in simulations), strict=True)]
