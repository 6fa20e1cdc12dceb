"""The curators' admin: every model reachable, bounded queries, inlines that save what a curator means."""

import re

import pytest
from django.contrib.admin.utils import label_for_field
from django.urls import reverse

from evidence.models import Article, Author, Claim, Evidence, Source
from tests.conftest import count_queries

pytestmark = pytest.mark.django_db

CHANGELISTS = ["compound", "author", "source", "article", "claim", "evidence", "adverseeffect", "adverseeffectreport"]


@pytest.mark.parametrize("model", CHANGELISTS)
def test_every_changelist_answers_with_bounded_queries(curator, django_assert_max_num_queries, model):
    # session + user + (groups/permissions) + page rows + one prefetch or count per related list,
    # + filter choices: none of them grows with the number of rows.
    with django_assert_max_num_queries(16):
        response = curator.get(reverse(f"admin:evidence_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "model, relation, label",
    [("compound", "sources", "sources"), ("author", "authorships", "sources"), ("article", "claims", "claims")]
    + [("adverseeffect", "reports", "reports")],
)
def test_a_list_counts_each_rows_related_records_and_sorts_by_the_count(curator, model, relation, label):
    url = reverse(f"admin:evidence_{model}_changelist")
    column = curator.get(url).context["cl"].list_display.index("related_count")
    cl = curator.get(url, {"o": f"-{column}", "all": ""}).context["cl"]
    assert cl.result_list and label_for_field("related_count", cl.model, cl.model_admin) == label
    counted = [row.related_count for row in cl.result_list]
    assert counted == [getattr(row, relation).count() for row in cl.result_list]
    assert counted == sorted(counted, reverse=True) and counted[0] > 0


def test_the_source_list_shows_real_sources_with_ordered_authors(curator):
    response = curator.get(reverse("admin:evidence_source_changelist"), {"q": "Kruegel"})
    page = response.content.decode()
    assert "Kruegel2016" in page
    assert "Kruegel AC, Gassaway MM, Kapoor A, et al." in page


def test_the_claim_list_shows_the_seed_article_statements(curator):
    page = curator.get(
        reverse("admin:evidence_claim_changelist"), {"article__id__exact": 1, "all": ""}
    ).content.decode()
    assert "Kratom (Mitragyna speciosa), a Southeast Asian herb" in page


@pytest.mark.parametrize("model", ["source", "claim", "article", "author"])
def test_change_pages_have_bounded_queries(curator, django_assert_max_num_queries, model):
    instance = {
        "source": lambda: Source.objects.get(key="GarciaRomeu2020"),
        "claim": lambda: Claim.objects.order_by("start").first(),
        "article": lambda: Article.objects.get(slug="kratom-for-chronic-pain"),
        "author": lambda: Author.objects.get(family="Kruegel", given="Andrew C."),
    }[model]()
    # Inline rows are fetched with select_related; autocomplete widgets render only the chosen value.
    with django_assert_max_num_queries(40):
        response = curator.get(reverse(f"admin:evidence_{model}_change", args=[instance.pk]))
    assert response.status_code == 200


def test_autocomplete_finds_sources_by_key(curator):
    response = curator.get(
        reverse("admin:autocomplete"),
        {"term": "Kruegel", "app_label": "evidence", "model_name": "evidence", "field_name": "source"},
    )
    keys = {row["text"].split(":")[0] for row in response.json()["results"]}
    assert {"Kruegel2016", "Kruegel2019", "KruegelGrundmann2018"} <= keys


def form_errors(response) -> list[str]:
    return re.findall(r'class="errorlist[^>]*>(.*?)</ul>', response.content.decode(), re.DOTALL)


def management_form(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_a_curator_adds_a_source_with_ordered_authors_and_gets_a_generated_key(curator, curator_user):
    kruegel = Author.objects.get(family="Kruegel", given="Andrew C.")
    sames = Author.objects.get(family="Sames", given="Dalibor")
    data = {
        "key": "",
        "entry_type": "article",
        "title": "A test record entered by a curator",
        "year": "2016",
        "doi": "https://doi.org/10.9999/TEST.ONLY",
        "retraction_status": "none",
        "curation_status": "draft",
        **management_form("authorships", total=2),
        "authorships-0-author": str(kruegel.pk),
        "authorships-0-position": "",  # numbered by their rows: no counting by hand
        "authorships-1-author": str(sames.pk),
        "authorships-1-position": "",
        **management_form("risk_of_bias"),
        **management_form("adverse_effect_reports"),
        **management_form("evidence"),
    }
    response = curator.post(reverse("admin:evidence_source_add"), data)
    assert response.status_code == 302, form_errors(response)
    source = Source.objects.get(title="A test record entered by a curator")
    assert source.key == "Kruegel2016a"  # Kruegel2016 is taken by the demo data
    assert source.doi == "10.9999/test.only"
    assert [a.family for a in source.ordered_authors] == ["Kruegel", "Sames"]
    assert list(source.authorships.values_list("position", flat=True)) == [1, 2]
    assert source.created_by == curator_user == source.updated_by


@pytest.mark.parametrize(
    ("key", "doi", "message"),
    [
        ("", "not a doi", "is not a DOI"),
        ("Smith/2024", "", "no spaces, no slash"),
        ("Smith 2024", "", "no spaces, no slash"),
    ],
)
def test_a_bad_doi_or_key_is_refused_with_a_message_and_nothing_saved(curator, key, doi, message):
    # A key with a slash cannot be part of the source's URL: every page linking the source would fail.
    data = {
        "key": key,
        "entry_type": "article",
        "title": "Should not be saved",
        "doi": doi,
        "retraction_status": "none",
        "curation_status": "draft",
        **management_form("authorships"),
        **management_form("risk_of_bias"),
        **management_form("adverse_effect_reports"),
        **management_form("evidence"),
    }
    response = curator.post(reverse("admin:evidence_source_add"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Source.objects.filter(title="Should not be saved").exists()


def test_a_curator_adds_a_claim_with_evidence_and_the_span_is_found(curator, curator_user):
    article = Article.objects.get(slug="kratom-for-chronic-pain")
    source = Source.objects.get(key="Kruegel2016")
    quote = "This herb has been traditionally used for pain relief, stimulation, and anxiety mitigation."
    Claim.objects.filter(article=article, text=quote).delete()
    data = {
        "article": str(article.pk),
        "text": quote,
        "start": "",
        "end": "",
        "category": "traditional-use",
        "checkworthy": "on",
        **management_form("evidence", total=1),
        **management_form("parts"),
        **management_form("grade_overrides"),
        **management_form("grade_upgrades"),
        "evidence-0-source": str(source.pk),
        "evidence-0-stance": "mentions",
        "evidence-0-finding": "Test link.",
        "evidence-0-curation_status": "draft",
    }
    response = curator.post(reverse("admin:evidence_claim_add"), data)
    assert response.status_code == 302, form_errors(response)
    claim = Claim.objects.get(article=article, text=quote)
    assert article.text[claim.start : claim.end] == quote
    assert Evidence.objects.get(claim=claim).added_by == curator_user


def test_mark_reviewed_action(curator, curator_user):
    Source.objects.filter(key__in=["Kruegel2016", "Kruegel2019"]).update(curation_status="draft")
    ids = list(Source.objects.filter(key__in=["Kruegel2016", "Kruegel2019"]).values_list("pk", flat=True))
    response = curator.post(
        reverse("admin:evidence_source_changelist"),
        {"action": "mark_reviewed", "_selected_action": [str(pk) for pk in ids]},
        follow=True,
    )
    assert "2 marked reviewed." in response.content.decode()
    assert set(Source.objects.filter(pk__in=ids).values_list("curation_status", flat=True)) == {"reviewed"}
    for source in Source.objects.filter(pk__in=ids):  # the history says who marked it, and how
        latest = source.history.first()
        assert (latest.history_user, latest.curation_status) == (curator_user, "reviewed")
        assert latest.history_change_reason == "marked reviewed (bulk action)"


def test_a_reader_is_sent_to_the_login_page(reader):
    response = reader.get(reverse("admin:evidence_source_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_curator_cannot_manage_users(curator):
    assert curator.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_a_superuser_can_manage_users(admin_user_client):
    assert admin_user_client.get(reverse("admin:auth_user_changelist")).status_code == 200


def test_the_demo_curator_logs_in_with_the_documented_password(reader):
    from tests.conftest import CURATOR_PASSWORD

    response = reader.post(
        reverse("admin:login"), {"username": "curator", "password": CURATOR_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert reader.get("/admin/").status_code == 200


def test_edit_pages_cost_the_same_for_few_or_many_inline_rows(curator):
    from evidence.models import AdverseEffect, AdverseEffectReport, Compound

    source = Source.objects.get(key="Hassan2013")
    claim = Claim.objects.filter(evidence__isnull=False).order_by("start").first()
    source_url = reverse("admin:evidence_source_change", args=[source.pk])
    claim_url = reverse("admin:evidence_claim_change", args=[claim.pk])
    before = count_queries(curator, source_url), count_queries(curator, claim_url)

    authors = Author.objects.exclude(sources=source)[:10]
    last = source.authorships.count()
    source.authorships.bulk_create(
        [source.authorships.model(source=source, author=a, position=last + i) for i, a in enumerate(authors, 1)]
    )
    for other in Claim.objects.exclude(evidence__source=source)[:5]:
        Evidence.objects.create(claim=other, source=source, stance="mentions", finding="extra row")
    for other in Source.objects.exclude(evidence__claim=claim)[:5]:
        Evidence.objects.create(claim=claim, source=other, stance="mentions", finding="extra row")
    for effect in AdverseEffect.objects.all()[:3]:
        AdverseEffectReport.objects.create(
            source=source, effect=effect, compound=Compound.objects.get(slug="kratom"), setting="review"
        )

    assert (count_queries(curator, source_url), count_queries(curator, claim_url)) == before
