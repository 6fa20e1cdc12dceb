"""Prioritised screening, as ASReview does it: TF-IDF over title, abstract and keywords, a linear classifier
(logistic regression) trained on the decisions so far and seeded with the sources already included, and the
waiting records ranked by its probability of relevance. Retrained every SCREENING_RETRAIN_EVERY decisions.

`simulate` replays a labelled set in that order and in random order (the `screening_simulation` command);
`work_saved` gives WSS@recall; `recall_curve_svg` draws the curves. docs/curation.md has the figures.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils.html import escape

from .models import Source
from .screening import active_decisions
from .vocabularies import Decision

MIN_DF = 1


def record_text(title: str, abstract: str, keywords: str) -> str:
    return f"{title}\n{abstract}\n{keywords}"


def fit(texts: list[str], labels: list[bool]):
    """A TF-IDF + logistic regression model, or None while one of the two classes has no example."""
    if len(set(labels)) < 2:
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer  # heavy: imported when first needed
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=MIN_DF, stop_words="english"),
        LogisticRegression(class_weight="balanced", max_iter=1000),
    )
    model.fit(texts, labels)
    return model


def scores(model, texts: list[str]) -> list[float]:
    return list(model.predict_proba(texts)[:, 1]) if texts else []


# --- the queue -----------------------------------------------------------------------------------------

_trained: dict[str, object] = {}


def training_set() -> tuple[list[str], list[bool]]:
    """Included sources (the seed and every record included since) against every record excluded."""
    included = Source.objects.screened_in().values_list("title", "abstract", "keywords")
    excluded_ids = active_decisions().filter(decision=Decision.EXCLUDE).values("source")
    excluded = Source.objects.filter(pk__in=excluded_ids).values_list("title", "abstract", "keywords")
    positives = [record_text(*row) for row in included]
    negatives = [record_text(*row) for row in excluded]
    return positives + negatives, [True] * len(positives) + [False] * len(negatives)


def current_model():
    """The model of the latest round: retrained when SCREENING_RETRAIN_EVERY more decisions were made."""
    round_ = active_decisions().count() // settings.SCREENING_RETRAIN_EVERY
    if _trained.get("round") != round_:
        _trained.update(round=round_, model=fit(*training_set()))
    return _trained["model"]


def first_by_priority(waiting: QuerySet[Source]) -> Source | None:
    """The waiting record the model thinks likeliest to be relevant (the oldest while it cannot rank)."""
    model = current_model()
    rows = list(waiting.values_list("pk", "title", "abstract", "keywords"))
    if not rows:
        return None
    best = rows[0][0]
    if model is not None:  # the highest score; among equals, the oldest record (rows are in pk order)
        ranked = scores(model, [record_text(*row[1:]) for row in rows])
        best = max(zip(ranked, rows, strict=True), key=lambda pair: pair[0])[1][0]
    return waiting.with_authors().get(pk=best)


# --- simulation ----------------------------------------------------------------------------------------


@dataclass
class Simulation:
    found: list[int]  # relevant records found after screening 1, 2, … records
    relevant: int

    @property
    def recall(self) -> list[float]:
        return [found / self.relevant for found in self.found]

    def screened_for(self, recall: float) -> int:
        needed = recall * self.relevant
        return next(number for number, found in enumerate(self.found, start=1) if found >= needed - 1e-9)


def features(texts: list[str]):
    """TF-IDF over the whole set, once (as ASReview extracts features before screening starts)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=MIN_DF, stop_words="english").fit_transform(
        texts
    )


def simulate(matrix, labels: list[bool], seed: int, retrain_every: int, prioritised: bool = True) -> Simulation:
    """Screen the whole set (rows of `matrix`) one record at a time: the model's order (retrained every
    `retrain_every` labels, starting from one relevant and one irrelevant record chosen at random, as
    ASReview's prior knowledge) or a random order."""
    from sklearn.linear_model import LogisticRegression

    chooser = random.Random(seed)
    order = list(range(len(labels)))
    chooser.shuffle(order)
    if not prioritised:
        return _tally(order, labels)
    screened = [next(i for i in order if labels[i]), next(i for i in order if not labels[i])]
    waiting = [i for i in order if i not in screened]
    ranking: list[int] = []
    while waiting:
        if not ranking or len(screened) % retrain_every == 0:
            model = LogisticRegression(class_weight="balanced", max_iter=1000)
            model.fit(matrix[screened], [labels[i] for i in screened])
            probabilities = model.predict_proba(matrix[waiting])[:, 1]
            ranking = [i for _, i in sorted(zip(probabilities, waiting, strict=True), key=lambda pair: -pair[0])]
        chosen = ranking.pop(0)
        waiting.remove(chosen)
        screened.append(chosen)
    return _tally(screened, labels)


def _tally(order: list[int], labels: list[bool]) -> Simulation:
    found, total = [], 0
    for index in order:
        total += labels[index]
        found.append(total)
    return Simulation(found, sum(labels))


def work_saved(simulation: Simulation, recall: float = 0.95) -> float:
    """WSS@recall (Cohen et al. 2006): the share of records not screened at that recall, less what random
    order saves (1 - recall)."""
    total = len(simulation.found)
    return (total - simulation.screened_for(recall)) / total - (1 - recall)


def recall_curve_svg(curves: dict[str, list[float]], title: str) -> str:
    """Recall (y) against the share of records screened (x), one polyline per named curve."""
    width, height, left, bottom, top, right = 640, 400, 60, 50, 40, 20
    plot_w, plot_h = width - left - right, height - top - bottom
    colours = ["#1b6ac9", "#b3261e", "#2e7d32", "#6a1b9a"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        f'font-size="12" role="img" aria-labelledby="curve-title"><title id="curve-title">{escape(title)}</title>',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in range(0, 11, 2):
        x, y = left + plot_w * tick / 10, top + plot_h * (1 - tick / 10)
        parts += [
            f'<line x1="{left}" y1="{y}" x2="{left + plot_w}" y2="{y}" stroke="#ddd"/>',
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{tick * 10}%</text>',
            f'<text x="{x}" y="{top + plot_h + 16}" text-anchor="middle">{tick * 10}%</text>',
        ]
    parts += [
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>',
        f'<text x="{left + plot_w / 2}" y="{height - 10}" text-anchor="middle">records screened</text>',
        f'<text x="14" y="{top + plot_h / 2}" text-anchor="middle" transform="rotate(-90 14 {top + plot_h / 2})">'
        "relevant records found (recall)</text>",
    ]
    for number, (name, recall) in enumerate(curves.items()):
        points = " ".join(
            f"{left + plot_w * (i + 1) / len(recall):.1f},{top + plot_h * (1 - value):.1f}"
            for i, value in enumerate(recall)
        )
        colour = colours[number % len(colours)]
        parts += [
            f'<polyline points="{left},{top + plot_h} {points}" fill="none" stroke="{colour}" stroke-width="2"/>',
            f'<text x="{left + plot_w - 10}" y="{top + plot_h - 14 - 16 * number}" text-anchor="end" '
            f'fill="{colour}">{escape(name)}</text>',
        ]
    return "\n".join([*parts, "</svg>"]) + "\n"
