"""Prioritised screening: the queue puts the record most like the included sources first; the simulation's
work saved over sampling is computed as Cohen et al. define it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evidence import prioritising
from evidence.models import Source
from evidence.vocabularies import ScreeningStatus

pytestmark = pytest.mark.django_db


def candidate(key: str, title: str) -> Source:
    return Source.objects.create(key=key, title=title, year=2024, screening_status=ScreeningStatus.CANDIDATE)


def test_the_queue_puts_the_record_most_like_the_included_sources_first(curator, reason_excluded):
    unrelated = candidate("Synthetic2024a", "Synthetic record: sauropod dinosaur neck vertebrae of the Jurassic")
    related = candidate("Synthetic2024b", "Synthetic record: mitragynine opioid receptor signalling in kratom users")
    waiting = Source.objects.filter(pk__in=[unrelated.pk, related.pk]).order_by("pk")
    assert prioritising.first_by_priority(waiting) == related  # though the unrelated one is older
    html = curator.get(reverse("admin:evidence_screening")).content.decode()
    assert f'name="source" value="{related.pk}"' in html


@pytest.fixture
def reason_excluded(curator_user):
    """One excluded record, so that the model has both classes to learn from."""
    from evidence import screening
    from evidence.models import ExclusionReason

    excluded = candidate("Synthetic2024c", "Synthetic record: feathered theropod dinosaur fossils from amber")
    reason = ExclusionReason.objects.first()
    screening.decide(excluded.pk, "title-abstract", "exclude", curator_user, screening.state_token(excluded), reason.pk)
    prioritising._trained.clear()
    return excluded


def test_work_saved_over_sampling():
    # 10 records, 2 relevant, found at the 1st and 4th screened: 95% recall needs 4 records screened.
    simulation = prioritising.Simulation(found=[1, 1, 1, 2, 2, 2, 2, 2, 2, 2], relevant=2)
    assert simulation.screened_for(0.95) == 4
    assert prioritising.work_saved(simulation, 0.95) == pytest.approx((10 - 4) / 10 - 0.05)


def test_the_simulation_finds_relevant_records_sooner_than_random_order():
    relevant = [f"synthetic kratom mitragynine study number {n}" for n in range(10)]
    irrelevant = [f"synthetic dinosaur fossil record number {n}" for n in range(40)]
    texts, labels = relevant + irrelevant, [True] * 10 + [False] * 40
    matrix = prioritising.features(texts)
    ranked = prioritising.simulate(matrix, labels, seed=1, retrain_every=5)
    shuffled = prioritising.simulate(matrix, labels, seed=1, retrain_every=5, prioritised=False)
    assert ranked.screened_for(1.0) == 11  # the seed's one irrelevant record, then every relevant one
    assert prioritising.work_saved(ranked) > prioritising.work_saved(shuffled)
    assert "<polyline" in prioritising.recall_curve_svg({"prioritised": ranked.recall}, "synthetic")
