"""A dump restored into an empty database gives identical exports (docs/operations.md)."""

import pytest
from django.core.management import call_command
from django.db import connection

from evidence.bibliography.formats import EXPORT_FORMATS
from evidence.bibliography.sources import records_of
from evidence.models import (
    AdverseEffect,
    AdverseEffectReport,
    Article,
    Author,
    Authorship,
    Claim,
    Compound,
    Evidence,
    Source,
)
from evidence.reports import build_report, report_as_json
from evidence.synthetic import SYNTHETIC_AUTHOR, SYNTHETIC_PREFIX

pytestmark = pytest.mark.django_db
EVIDENCE_MODELS = [Evidence, AdverseEffectReport, Claim, Article, Source, Author, AdverseEffect, Compound]


def everything() -> dict[str, str]:
    exports = {
        fmt: "".join(EXPORT_FORMATS[fmt].write(records_of(Source.objects.order_by("key"))))
        for fmt in ("bibtex", "ris", "csljson", "csv")
    }
    article = Article.objects.get(slug="kratom-for-chronic-pain")
    exports["flags"] = report_as_json(build_report(article, Claim.objects.for_review().filter(article=article)))
    exports["reports"] = "\n".join(
        str(r) for r in AdverseEffectReport.objects.order_by("source__key", "effect__term", "pk")
    )
    return exports


def searched() -> dict[str, set[str]]:
    from evidence import search

    # A word of a title, and a study design (the source's linked terms): both indexes came back.
    return {
        q: set(search.search(Source.objects.all(), q).values_list("key", flat=True)) for q in ("abuse", "case report")
    }


def test_a_dumpdata_restored_into_an_empty_database_gives_identical_exports(tmp_path):
    before = everything()
    found = searched()
    assert {"Hemby2018", "Yue2018"} <= found["abuse"] and {"Tatum2018", "Afzal2020"} <= found["case report"]
    dump = tmp_path / "evidence.json"
    with dump.open("w") as out:
        call_command("dumpdata", "evidence", "--natural-foreign", "--indent", "1", stdout=out)
    for model in EVIDENCE_MODELS:
        model.objects.all().delete()
    assert Source.objects.count() == 0 and Claim.objects.count() == 0
    call_command("loaddata", str(dump), verbosity=0)
    assert everything() == before
    assert searched() == found


MANY_AUTHORS = 5_000


def a_source_with_many_synthetic_authors(count: int) -> Source:
    source = Source.objects.create(
        key=f"{SYNTHETIC_PREFIX}many-authors",
        title="Synthetic source with thousands of authors",
        year=2020,
        provenance="synthetic: a restore test; not a real publication",
    )
    authors = Author.objects.bulk_create(Author(family=f"{SYNTHETIC_AUTHOR}{n:06d}", given="T.") for n in range(count))
    Authorship.objects.bulk_create(
        Authorship(source=source, author=author, position=position) for position, author in enumerate(authors, 1)
    )
    source.refresh_author_names()
    return source


class QueryCounter:
    """Counts every query, with no cap (the test client's capture keeps only the last 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def test_a_source_with_5000_authors_restores_in_queries_linear_in_its_rows(tmp_path):
    for model in EVIDENCE_MODELS:
        model.objects.all().delete()
    source = a_source_with_many_synthetic_authors(MANY_AUTHORS)
    dump = tmp_path / "evidence.json"
    with dump.open("w") as out:
        call_command(
            "dumpdata", "evidence.author", "evidence.source", "evidence.authorship", "--natural-foreign", stdout=out
        )
    Source.objects.all().delete()
    Author.objects.all().delete()
    # Per author: its row (an update that finds nothing, then an insert) and its authorship (a lookup of
    # source and author by natural key, update, insert). Rebuilding the source's author list after each
    # authorship, as the restore did, read the whole list every time: three more queries a row, and time
    # quadratic in the authors of a source (2,000 authors took 152 s).
    queries = QueryCounter()
    with connection.execute_wrapper(queries):
        call_command("loaddata", str(dump), verbosity=0)
    assert queries.count <= 6 * MANY_AUTHORS + 50
    restored = Source.objects.get(key=source.key)
    assert restored.author_names == source.author_names
    assert restored.author_names.count(SYNTHETIC_AUTHOR) == MANY_AUTHORS
    assert restored.authorships.count() == MANY_AUTHORS


def test_deleting_a_source_does_not_rewrite_its_author_list_once_per_author(django_assert_max_num_queries):
    source = a_source_with_many_synthetic_authors(200)
    # Not per authorship: the delete's own selects and deletes (history, links, evidence, reports).
    with django_assert_max_num_queries(40):
        source.delete()
    assert not Authorship.objects.filter(source_id=source.pk).exists()


def test_removing_one_author_still_rewrites_the_list(curator):
    source = Source.objects.get(key="Kruegel2016")
    first = source.authorships.get(position=1)
    first.delete()
    source.refresh_from_db()
    assert str(first.author) not in source.author_names and source.author_names
