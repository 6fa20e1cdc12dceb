"""A dump restored into an empty database gives identical exports (docs/operations.md)."""

import pytest
from django.core.management import call_command

from evidence.bibliography.formats import EXPORT_FORMATS
from evidence.bibliography.sources import records_of
from evidence.models import AdverseEffect, AdverseEffectReport, Article, Author, Claim, Compound, Evidence, Source
from evidence.reports import build_report, report_as_json

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
