"""The JSON API (/api/v1/): what each endpoint returns, the same numbers as the pages, problem documents,
bibliographic content negotiation, ETags, and curators' writes with the admin's safety."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from evidence import filters, reports
from evidence.models import (
    AdverseEffect,
    AdverseEffectReport,
    Article,
    Author,
    Authorship,
    Claim,
    Compound,
    GradeOverride,
    GradeUpgrade,
    Source,
)
from evidence.vocabularies import ScreeningStatus
from tests.test_statement_parts import split_28  # noqa: F401 (a fixture, used by name)

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def curator_api(curator_user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=curator_user)[0].key}")
    return client


def test_the_schema_is_openapi_3_1_and_lists_every_endpoint(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    for path in ["/api/v1/sources/", "/api/v1/sources/{key}/", "/api/v1/claims/{id}/", "/api/v1/articles/{slug}/",
                 "/api/v1/check/", "/api/v1/imports/{id}/commit/", "/api/v1/overviews/adverse-effects/"]:  # fmt: skip
        assert path in schema["paths"], path


def test_the_swagger_ui_and_redoc_pages_load_their_assets_from_the_project(api):
    for name in ("api:swagger-ui", "api:redoc"):
        page = api.get(reverse(name)).content.decode()
        assert "/static/drf_spectacular_sidecar/" in page
        assert "cdn." not in page and "unpkg" not in page


def test_a_source_has_every_field_its_page_shows_and_its_export_links(api):
    data = api.get("/api/v1/sources/Kruegel2016/").json()
    assert data["doi"] == "10.1021/jacs.6b00360"
    assert [a["family"] for a in data["authors"]][:2] == ["Kruegel", "Gassaway"]
    assert data["links"]["bibtex"].endswith("/sources/Kruegel2016/export.bibtex")
    assert data["links"]["page"].endswith("/sources/Kruegel2016/")
    assert data["statements"] and {"stance", "status", "claim"} <= set(data["statements"][0])


def test_the_sources_list_has_the_pages_facet_counts_for_the_same_query(api, reader):
    query = "?q=kratom&design=animal-study"
    data = api.get("/api/v1/sources/" + query).json()
    page = reader.get(reverse("evidence:sources") + query)
    page_facets = {name: {v.value: v.count for v in values} for _, name, values in page.context["facets"]}
    api_facets = {name: {v["value"]: v["count"] for v in values} for name, values in data["facets"].items()}
    assert api_facets == page_facets
    assert data["count"] == page.context["page"].paginator.count > 0
    assert [s["key"] for s in data["results"]] == [s.key for s in page.context["rows"]][: len(data["results"])]


def test_the_cursor_walks_the_whole_list_once(api):
    keys, url = [], "/api/v1/sources/?sort=title&page_size=20"
    while url:
        data = api.get(url).json()
        keys += [s["key"] for s in data["results"]]
        url = data["next"]
    assert keys == list(filters.find_sources(filters.QueryDict("sort=title")).results.values_list("key", flat=True))


def test_a_bad_filter_is_a_problem_document_naming_the_field(api):
    response = api.get("/api/v1/sources/?year_from=abc")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["type"].endswith("/validation-error") and problem["status"] == 400
    assert [error["field"] for error in problem["errors"]] == ["year_from"]


def test_an_unknown_source_is_a_404_problem(api):
    response = api.get("/api/v1/sources/NoSuchKey1999/")
    assert response.status_code == 404 and response.json()["type"].endswith("/not-found")


def test_a_bad_cursor_is_a_400_not_a_500(api):
    response = api.get("/api/v1/sources/?cursor=%%%")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    "accept, fmt, start",
    [
        ("application/x-bibtex", "bibtex", "@article{Kruegel2016,"),
        ("application/x-research-info-systems", "ris", "1.\nTY  - JOUR"),
        ("application/vnd.citationstyles.csl+json", "csljson", "["),
        ("text/x-bibliography; style=apa", "text", "Kruegel, A. C."),
    ],
)
def test_a_source_negotiates_the_same_file_as_its_download(api, reader, accept, fmt, start):
    response = api.get("/api/v1/sources/Kruegel2016/", HTTP_ACCEPT=accept)
    assert response.status_code == 200 and response["Content-Type"].startswith(accept.split(";")[0])
    assert "Accept" in response["Vary"]
    body = b"".join(response.streaming_content).decode()
    assert body.lstrip().startswith(start)
    download = reader.get(reverse("evidence:source-export", args=["Kruegel2016", fmt]))
    assert body == b"".join(download.streaming_content).decode()


def test_a_list_negotiates_bibtex_of_every_match(api):
    response = api.get("/api/v1/sources/?q=abuse", HTTP_ACCEPT="application/x-bibtex")
    body = b"".join(response.streaming_content).decode()
    expected = filters.find_sources(filters.QueryDict("q=abuse")).results.count()
    assert body.count("\n@") + body.startswith("@") == expected > 1


def test_an_unknown_citation_style_is_406(api):
    response = api.get("/api/v1/sources/Kruegel2016/", HTTP_ACCEPT="text/x-bibliography; style=nonesuch")
    assert response.status_code == 406 and response["Content-Type"] == PROBLEM


def walk(api, url: str) -> list[dict]:
    """Every result of a list, following the cursor to the end."""
    found, url = [], f"{url}{'&' if '?' in url else '?'}page_size=100"
    while url:
        page = api.get(url).json()
        found += page["results"]
        url = page["next"]
    return found


def negotiated(api, url: str, accept: str) -> str:
    return b"".join(api.get(url, HTTP_ACCEPT=accept).streaming_content).decode()


def make_candidate() -> Source:
    """A record awaiting screening (obviously synthetic) that every facet and search of the test would find."""
    candidate = Source.objects.create(
        key="SyntheticCandidate2099",
        entry_type="article",
        title="Synthetic candidate record: kratom in synthetic animals",
        abstract="Synthetic kratom text.",
        year=2099,
        study_design="animal-study",
        population="animals",
        screening_status=ScreeningStatus.CANDIDATE,
    )
    compound = Compound.objects.get(slug="mitragynine")
    candidate.compounds.add(compound)
    author = Author.objects.create(family="Synthetica-Candidate", given="Test")
    Authorship.objects.create(source=candidate, author=author, position=1)
    AdverseEffectReport.objects.create(
        source=candidate, effect=AdverseEffect.objects.order_by("pk").first(), compound=compound, setting="case-report"
    )
    return candidate


def test_a_candidate_never_appears_to_anonymous_callers(api):
    query = "/api/v1/sources/?q=kratom&design=animal-study&page_size=100"
    before, matrix = api.get(query).json(), api.get("/api/v1/overviews/adverse-effects/").json()
    candidate = make_candidate()
    after = api.get(query).json()
    assert (after["count"], after["facets"]) == (before["count"], before["facets"])
    assert candidate.key not in {s["key"] for s in after["results"]}
    assert api.get(f"/api/v1/sources/{candidate.key}/").status_code == 404
    assert api.get(f"/api/v1/sources/{candidate.key}/", HTTP_ACCEPT="application/x-bibtex").status_code == 404
    for accept in ("application/x-bibtex", "application/vnd.citationstyles.csl+json"):
        assert candidate.key not in negotiated(api, "/api/v1/sources/?q=synthetic", accept)
    assert "Synthetica-Candidate" not in {a["family"] for a in walk(api, "/api/v1/authors/")}
    harms = walk(api, "/api/v1/adverse-effect-reports/")
    assert harms and candidate.key not in {h["source"] for h in harms}
    assert api.get("/api/v1/overviews/adverse-effects/").json() == matrix
    assert all(s["screening_status"] is None for s in after["results"])
    # Included at screening, the same record is in every one of them: the checks above can fail.
    Source.objects.filter(pk=candidate.pk).update(screening_status=ScreeningStatus.INCLUDED)
    assert candidate.key in negotiated(api, "/api/v1/sources/?q=synthetic", "application/x-bibtex")
    assert api.get(query).json()["count"] == before["count"] + 1
    assert "Synthetica-Candidate" in {a["family"] for a in walk(api, "/api/v1/authors/")}
    assert candidate.key in {h["source"] for h in walk(api, "/api/v1/adverse-effect-reports/")}


def test_curators_read_a_candidate_with_its_screening_status(curator_api, api):
    candidate = make_candidate()
    data = curator_api.get(f"/api/v1/sources/{candidate.key}/").json()
    assert data["screening_status"] == "candidate"
    assert curator_api.get("/api/v1/sources/Kruegel2016/").json()["screening_status"] == "included"
    assert api.get("/api/v1/sources/Kruegel2016/").json()["screening_status"] is None
    assert candidate.key in {h["source"] for h in walk(curator_api, "/api/v1/adverse-effect-reports/")}


def test_get_answers_with_an_etag_and_304_when_it_matches(api):
    response = api.get("/api/v1/sources/Kruegel2016/")
    assert response["Cache-Control"] == "no-cache" and "Accept" in response["Vary"]
    again = api.get("/api/v1/sources/Kruegel2016/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_the_article_endpoint_has_the_review_pages_statuses(api, reader):
    page = reader.get(reverse("evidence:article", args=["kratom-for-chronic-pain"]))
    report = page.context["report"]
    data = api.get("/api/v1/articles/kratom-for-chronic-pain/").json()
    assert {s["id"]: s["assessment"]["status"] for s in data["statements"]} == {
        s.claim.pk: s.status.value for s in report.statements
    }
    assert data["summary"] == report.summary
    assert data["text"] == report.article.text
    first = next(s for s in data["statements"] if s["anchored"])
    assert data["text"][first["start"] : first["end"]] == first["text"]
    # Folded as the page is: the candidates it counts, no link objects; `links.evidence` lists them all.
    assert {s["id"]: s["candidates"] for s in data["statements"]} == {
        s.claim.pk: list(s.candidates or ()) for s in report.statements
    }
    assert "evidence" not in data["statements"][0]
    # The folded line's assessment; the statement's own endpoint has its reasons and GRADE's domains.
    assert "reasons" not in first["assessment"] and "grade" in api.get(first["links"]["self"]).json()["assessment"]
    assert [s["number"] for s in data["statements"]] == [s.number for s in report.statements]
    busiest = max(data["statements"], key=lambda s: s["assessment"]["links"])
    assert len(walk(api, busiest["links"]["evidence"])) == busiest["assessment"]["links"] > 1


def test_claims_carry_status_certainty_reasons_and_evidence(api, reader):
    claim = Claim.objects.filter(evidence__isnull=False).first()
    data = api.get(f"/api/v1/claims/{claim.pk}/").json()
    page = reader.get(reverse("evidence:claim", args=[claim.pk]))
    statement = page.context["statement"]
    assert data["assessment"]["status"] == statement.status.value
    assert data["assessment"]["reasons"] == list(statement.assessment.reasons)
    assert len(data["evidence"]) == len(statement.evidence)


def every_claim(api) -> dict[int, dict]:
    """Each claim's assessment as the API lists it."""
    return {claim["id"]: claim["assessment"] for claim in walk(api, "/api/v1/claims/")}


def domains_as_listed(grade: dict | None) -> dict | None:
    """The API's domains in the shape of the flag report's (`reports.report_as_dict`)."""
    if grade is None:
        return None
    keep = ("judgment", "reason", "computed", "override")
    return {domain["domain"]: {name: domain[name] for name in keep} for domain in grade["domains"]}


def test_every_claims_certainty_and_grade_domains_are_the_reports_and_the_claim_pages(api, reader):
    claim = Claim.objects.filter(evidence__isnull=False).order_by("pk").first()
    GradeOverride.objects.create(claim=claim, domain="imprecision", judgment="serious", reason="Synthetic test reason.")
    GradeUpgrade.objects.create(claim=claim, kind="dose-response", reason="Synthetic test gradient.")
    listed = every_claim(api)
    assessed = dict(listed)
    assert len(assessed) == Claim.objects.count()
    rated = 0
    for article in Article.objects.all():
        report = reports.report_as_dict(
            reports.build_report(article, Claim.objects.for_review().filter(article=article))
        )
        for statement in report["statements"]:
            mine = assessed.pop(statement["claim_id"])
            assert (mine["status"], mine["certainty"]) == (statement["status"], statement["certainty"])
            assert domains_as_listed(mine["grade"]) == statement["domains"]
            assert (mine["grade"] or {}).get("symbols") == statement["certainty_symbols"]
            rated += mine["grade"] is not None
    assert not assessed and rated  # every claim is in an article, and some have a rating
    # The claim page: the same domains, reasons, start and upgrades as it lists them.
    for claim_id, assessment in listed.items():
        grade = assessment["grade"]
        rating = reader.get(reverse("evidence:claim", args=[claim_id])).context["statement"].assessment.rating
        if rating is None:
            assert grade is None
            continue
        assert [(d["label"], d["judgment"], d["reason"]) for d in grade["domains"]] == [
            (d.domain.label, d.judgment.value, d.reason) for d in rating.domains
        ]
        assert (grade["certainty"], grade["start_reason"], grade["summary"]) == (
            rating.certainty,
            rating.start_reason,
            rating.reason,
        )
        assert [(u["kind"], u["reason"], u["rated_up"]) for u in grade["upgrades"]] == [
            (u.kind, u.reason, steps) for u, steps in rating.upgrades
        ]
    grade = listed[claim.pk]["grade"]
    imprecision = next(d for d in grade["domains"] if d["domain"] == "imprecision")
    assert imprecision["override"] == {"judgment": "serious", "reason": "Synthetic test reason."}
    assert [u["kind"] for u in grade["upgrades"]] == ["dose-response"]


def test_the_claims_list_filters_by_status_as_the_page_does(api, reader):
    data = api.get("/api/v1/claims/?status=weak&page_size=100").json()
    page = reader.get(reverse("evidence:claims") + "?status=weak")
    assert [c["id"] for c in data["results"]] == [s.claim.pk for s in page.context["page"].object_list]
    assert {c["assessment"]["status"] for c in data["results"]} == {"weak"}


def test_the_adverse_effects_matrix_is_the_pages(api, reader):
    data = api.get("/api/v1/overviews/adverse-effects/").json()
    page = reader.get(reverse("evidence:adverse-effects"))
    assert [row["organ_class"] for row in data["rows"]] == [row.organ_class for row in page.context["matrix"]]
    assert data["columns"] == page.context["columns"]


def test_check_segments_a_text_and_stores_nothing(api):
    claims = Claim.objects.count()
    text = "Kratom contains mitragynine. Mitragynine is a partial agonist at the mu-opioid receptor."
    response = api.post("/api/v1/check/", {"text": text}, format="json")
    assert response.status_code == 200
    statements = response.json()["statements"]
    assert [text[s["start"] : s["end"]] for s in statements] == [s["text"] for s in statements]
    assert len(statements) == 2 and statements[1]["candidates"]
    assert Claim.objects.count() == claims


def checked(api, text: str) -> dict:
    response = api.post("/api/v1/check/", {"text": text}, format="json")
    assert response.status_code == 200
    (statement,) = response.json()["statements"]
    return statement


def test_check_says_what_the_claim_page_says_of_an_unreviewed_statement(api, reader):
    """The text of a statement nobody has linked yet: the same candidates, the same line and the same curated
    statements as that statement's page shows."""
    original = Claim.objects.filter(evidence__isnull=False, checkworthy=True).order_by("pk").first()
    for text, has_candidates in [
        (original.text, True),
        ("Synthetic quokkas juggle porcelain teacups on Tuesdays.", False),
    ]:
        unreviewed = Claim.objects.create(text=text, category=original.category)
        page = reader.get(reverse("evidence:claim", args=[unreviewed.pk]))
        statement = page.context["statement"]
        data = checked(api, text)
        assert [c["key"] for c in data["candidates"]] == list(statement.candidates)
        assert bool(statement.candidates) is has_candidates
        assert data["candidates_line"] == reports.candidates_line(statement.candidates)
        assert data["candidates_line"].split(":")[0].split(".")[0] in page.content.decode()
        assert [(c["id"], c["number"], c["status"]) for c in data["curated"]] == [
            (same.claim.pk, same.number, same.status.value) for same in page.context["same"]
        ]
        assert bool(data["curated"]) is has_candidates  # the original says the same and has evidence
    assert data["candidates_line"] == "No evidence found in the base."


def test_check_runs_two_queries_per_statement_and_a_fixed_number_for_the_rest(api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sentence = "Mitragynine binds the mu-opioid receptor in synthetic test number {}."
    checked(api, "Kratom is a plant.")  # the search lexicon is read once a minute, not per check: read it first
    counts = []
    for statements in (2, 4):
        text = " ".join(sentence.format(n) for n in range(statements))
        with CaptureQueriesContext(connection) as queries:
            assert len(api.post("/api/v1/check/", {"text": text}, format="json").json()["statements"]) == statements
        counts.append(len(queries))
    assert counts[1] - counts[0] == 2 * 2


def test_check_refuses_a_text_too_long_with_413(api, settings):
    settings.API_CHECK_MAX_CHARACTERS = 100
    response = api.post("/api/v1/check/", {"text": "Kratom is a plant. " * 10}, format="json")
    assert response.status_code == 413 and response.json()["type"].endswith("/too-large")


def test_check_rate_limits_anonymous_callers(api, settings):
    settings.API_CHECK_ANON_RATE = "2/minute"
    from django.core.cache import cache

    cache.clear()
    codes = [api.post("/api/v1/check/", {"text": "Kratom is a plant."}, format="json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


# --- writes ---------------------------------------------------------------------------------------------------


def test_an_anonymous_write_gets_401(api):
    response = api.patch("/api/v1/sources/Kruegel2016/", {"title": "x"}, format="json")
    assert response.status_code == 401 and response.json()["type"].endswith("/not-authenticated")


def test_a_write_without_if_match_gets_428(curator_api):
    response = curator_api.patch("/api/v1/sources/Kruegel2016/", {"volume": "139"}, format="json")
    assert response.status_code == 428 and response.json()["type"].endswith("/if-match-required")


def test_a_stale_put_gets_412_and_changes_nothing(curator_api):
    read = curator_api.get("/api/v1/sources/Kruegel2016/")
    etag, body = read["ETag"], read.json()
    fresh = curator_api.patch("/api/v1/sources/Kruegel2016/", {"volume": "138"}, format="json", HTTP_IF_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    before = Source.objects.get(key="Kruegel2016")
    writable = {k: v for k, v in body.items() if k not in ("authors", "links", "statements", "adverse_effects")}
    stale = curator_api.put(
        "/api/v1/sources/Kruegel2016/", {**writable, "title": "Stale"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412 and stale.json()["type"].endswith("/stale-write")
    after = Source.objects.get(key="Kruegel2016")
    assert (after.title, after.version, after.volume) == (before.title, before.version, "138")


def test_a_curators_write_is_validated_by_the_model_and_recorded_in_history(curator_api, curator_user):
    read = curator_api.get("/api/v1/sources/Kruegel2016/")
    bad = curator_api.patch("/api/v1/sources/Kruegel2016/", {"year": 1200}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "year"
    good = curator_api.patch(
        "/api/v1/sources/Kruegel2016/", {"pages": "3257-3272"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert good.status_code == 200 and good.json()["version"] == read.json()["version"] + 1
    latest = Source.objects.get(key="Kruegel2016").history.first()
    assert latest.history_user == curator_user and latest.pages == "3257-3272"


def test_a_user_without_the_permission_cannot_write(api):
    user = get_user_model().objects.create_user("reader-with-token", password="x-password-42")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = api.post("/api/v1/evidence/", {}, format="json")
    assert response.status_code == 403 and response.json()["type"].endswith("/permission-denied")


def test_a_curator_token_cannot_manage_users(curator_api, curator_user):
    assert not curator_user.has_perm("auth.add_user") and not curator_user.has_perm("authtoken.add_token")
    assert not Permission.objects.filter(
        group__name="Curator", content_type__app_label__in=["auth", "authtoken"]
    ).exists()
    assert curator_api.post("/api/v1/users/", {"username": "x"}, format="json").status_code == 404


def test_tokens_are_made_in_the_admin_by_administrators_only(admin_user_client, curator):
    assert admin_user_client.get("/admin/authtoken/tokenproxy/add/").status_code == 200
    assert curator.get("/admin/authtoken/tokenproxy/").status_code == 403
    assert curator.get("/admin/auth/user/").status_code == 403


def test_deleting_a_source_that_evidence_cites_is_a_409_and_deletes_nothing(curator_api):
    read = curator_api.get("/api/v1/sources/Kruegel2016/")
    response = curator_api.delete("/api/v1/sources/Kruegel2016/", HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 409 and response.json()["type"].endswith("/in-use")
    assert "evidence" in response.json()["detail"] and Source.objects.filter(key="Kruegel2016").exists()


def test_a_curator_links_evidence_and_a_bad_link_names_its_field(curator_api, curator_user):
    claim = Claim.objects.filter(evidence__isnull=True).first()
    link = {"claim": claim.pk, "source": "Kruegel2016", "stance": "mentions", "finding": "Synthetic test finding."}
    created = curator_api.post("/api/v1/evidence/", link, format="json")
    assert created.status_code == 201 and created.json()["source"] == "Kruegel2016"
    assert claim.evidence.get().added_by == curator_user
    again = curator_api.post("/api/v1/evidence/", {**link, "stance": "nonsense"}, format="json")
    assert again.status_code == 400 and {e["field"] for e in again.json()["errors"]} == {"stance"}


def test_a_split_statement_lists_its_parts_as_its_page_and_report_do(api, reader, split_28):  # noqa: F811
    data = api.get(f"/api/v1/claims/{split_28.pk}/").json()["assessment"]
    report = reports.report_as_dict(
        reports.build_report(split_28.article, Claim.objects.for_review().filter(article=split_28.article))
    )
    (statement,) = [s for s in report["statements"] if s["claim_id"] == split_28.pk]
    assert data["status"] == statement["status"] == "mixed" and data["flagged"]
    assert [(p["number"], p["status"], p["certainty"]) for p in data["parts"]] == [
        (p["number"], p["status"], p["certainty"]) for p in statement["parts"]
    ]
    assert [domains_as_listed(p["grade"]) for p in data["parts"]] == [p["domains"] for p in statement["parts"]]
    page = reader.get(reverse("evidence:claim", args=[split_28.pk])).context["statement"]
    assert [p["reasons"] for p in data["parts"]] == [list(p.assessment.reasons) for p in page.parts]
