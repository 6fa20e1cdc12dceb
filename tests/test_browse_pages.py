"""The public browsing pages: home, source, statements, adverse effects, evidence map, 404."""

import re
from html import unescape

import pytest
from django.db import connection
from django.urls import reverse

from evidence import tallies
from evidence.articles import add_statement_claims, create_article
from evidence.models import AdverseEffect, AdverseEffectReport, Claim, Compound, Evidence, Source
from tests.conftest import count_queries

pytestmark = pytest.mark.django_db
SEED = "kratom-for-chronic-pain"
CONTRADICTED = "Remember that consistency is key; taking kratom regularly at set times can help build tolerance"


def text_of(response):
    """The page as a reader sees it: tags gone, white space collapsed, no space before punctuation."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    return unescape(re.sub(r" ([.,;:)])", r"\1", text))


def grow_the_evidence_base(number=40):
    """More statements, sources, links and adverse-effect reports, to show page queries do not grow with them."""
    article, _ = create_article("Growing", " ".join(f"Statement {i} is here." for i in range(number)))
    add_statement_claims(article)
    compound = Compound.objects.get(slug="mitragynine")
    effect = AdverseEffect.objects.get(term="liver injury")
    for i, claim in enumerate(article.claims.all()):
        source = Source.objects.create(key=f"Grow{i}", title=f"Grow {i}", study_design="case-report", year=2020)
        source.compounds.add(compound)
        Evidence.objects.create(claim=claim, source=source, stance="supports", finding="x")
        AdverseEffectReport.objects.create(source=source, effect=effect, compound=compound, setting="case-report")


# --- home -------------------------------------------------------------------------------------------


def test_home_shows_holdings_article_flags_latest_sources_and_a_search_box(reader, django_assert_max_num_queries):
    # 3 totals, compounds, designs, years, the newest articles, their claims and evidence, how many more
    # articles, latest sources and their authors; the five GRADE reads (evidence/grading.py).
    with django_assert_max_num_queries(17):
        response = reader.get(reverse("evidence:home"))
    page, text = response.content.decode(), text_of(response)
    assert 'action="/sources/"' in page and 'name="q"' in page
    assert "Sources 76 Statements 37 Evidence links 136" in text
    assert "37 statements, 22 checkworthy; 13 flagged statements." in text
    assert f'href="/claims/?article={SEED}&amp;status=contradicted"' in page
    assert "7-Hydroxymitragynine (7-OH, 7-OH-MG, 7-hydroxy-mitragynine) 17" in text
    assert "2010s 35" in text and "2020s 31" in text
    assert f"narrative review {Source.objects.filter(study_design='narrative-review').count()}" in text
    assert "Latest reviewed sources" in text


def test_home_queries_do_not_grow_with_articles_and_claims(reader, django_capture_on_commit_callbacks):
    before = count_queries(reader, reverse("evidence:home"))
    with django_capture_on_commit_callbacks(execute=True):  # committed: the statuses recomputed
        grow_the_evidence_base()
    assert count_queries(reader, reverse("evidence:home")) == before


# --- source -----------------------------------------------------------------------------------------


def test_a_source_page_shows_the_statements_it_bears_on_with_their_status_and_its_adverse_effects(
    reader, django_assert_max_num_queries
):
    # The GRADE reads (evidence/grading.py): sources' compounds and appraisals, claims' compounds,
    # overrides, upgrades, parts.
    with django_assert_max_num_queries(11):
        response = reader.get(reverse("evidence:source", args=["Smith2022JAM"]))
    text = text_of(response)
    assert "Statements it bears on (" in text
    assert f"{CONTRADICTED}" in text
    assert "✖ contradicted contradicts" in text  # the statement's status, then this source's stance
    assert "Adverse effects it reports (" in text
    reports = AdverseEffectReport.objects.filter(source__key="Smith2022JAM").select_related("effect")
    assert reports and all(report.effect.term in text for report in reports)


def test_a_source_page_queries_do_not_grow_with_its_links(reader, django_capture_on_commit_callbacks):
    url = reverse("evidence:source", args=["Kruegel2016"])
    before = count_queries(reader, url)
    source = Source.objects.get(key="Kruegel2016")
    # Committed, as an admin save is: the statements' stored statuses are recomputed then, not by the page.
    with django_capture_on_commit_callbacks(execute=True):
        for claim in Claim.objects.exclude(evidence__source=source)[:10]:
            Evidence.objects.create(claim=claim, source=source, stance="mentions", finding="x")
    assert count_queries(reader, url) == before


def test_unknown_keys_get_the_404_page(reader):
    response = reader.get("/sources/NoSuchKey1999/")
    assert response.status_code == 404
    text = text_of(response)
    assert "Not found" in text and "Nothing is filed under /sources/NoSuchKey1999/" in text
    assert reader.get("/claims/999999/").status_code == 404
    assert reader.get("/claims/abc/").status_code == 404


# --- statements -------------------------------------------------------------------------------------


def listed_claims(response):
    return re.findall(r'<a href="/claims/(\d+)/">', response.content.decode())


def test_the_statement_list_shows_every_statement_with_its_status(reader, django_assert_max_num_queries):
    # The GRADE reads (evidence/grading.py): sources' compounds and appraisals, claims' compounds,
    # overrides, upgrades, parts.
    with django_assert_max_num_queries(11):
        response = reader.get(reverse("evidence:claims"))
    assert response.status_code == 200
    assert len(listed_claims(response)) == 37
    assert "37 statements" in text_of(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=contradicted", 1),
        ("?status=supported", 9),
        ("?status=weak&status=contradicted", 13),
        (f"?article={SEED}&status=not_checkable", 15),
        ("?category=dosage", None),
        ("?compound=7-hydroxymitragynine", None),
    ],
)
def test_statement_filters(reader, query, expected):
    response = reader.get(reverse("evidence:claims") + query)
    if expected is None:
        field, value = query[1:].split("=")
        lookup = {"category": "category", "compound": "compounds__slug"}[field]
        expected = Claim.objects.filter(**{lookup: value}).count()
    assert len(listed_claims(response)) == expected


def test_invalid_statement_filters_get_a_clear_message(reader):
    response = reader.get(reverse("evidence:claims") + "?status=bogus&article=nowhere")
    assert response.status_code == 400
    text = text_of(response)
    assert "Status: Select a valid choice. bogus is not one of the available choices." in text
    assert "Article: Select a valid choice." in text


def test_the_statement_list_queries_do_not_grow(reader, django_capture_on_commit_callbacks):
    before = count_queries(reader, reverse("evidence:claims"))
    with django_capture_on_commit_callbacks(execute=True):  # committed: the statuses recomputed
        grow_the_evidence_base()
    assert count_queries(reader, reverse("evidence:claims")) == before


def test_a_statement_page_shows_status_reasons_evidence_by_stance_and_its_place(reader, django_assert_max_num_queries):
    claim = Claim.objects.get(text__startswith=CONTRADICTED)
    # The GRADE reads (evidence/grading.py): sources' compounds and appraisals, claims' compounds,
    # overrides, upgrades, parts.
    with django_assert_max_num_queries(9):
        response = reader.get(claim.get_absolute_url())
    page, text = response.content.decode(), text_of(response)
    assert "Status: ✖ contradicted" in text
    assert "Contradicting evidence and no support." in text
    assert re.search(r"Contradicts \(\d+\)", text)
    assert "Smith2022JAM" in text
    assert f"In Kratom for chronic pain, characters {claim.start}–{claim.end}:" in text
    assert f"<mark>{claim.text}</mark>" in page
    assert f'href="/articles/{SEED}/#claim-{claim.pk}"' in page


def test_a_statement_without_evidence_or_span_says_so(reader):
    claim = Claim.objects.create(text="A free-standing statement.", category="efficacy")
    text = text_of(reader.get(claim.get_absolute_url()))
    assert "No source is linked to this statement" in text
    assert "unsupported" in text
    assert "Where it appears" not in text


# --- adverse effects --------------------------------------------------------------------------------


def test_the_adverse_effects_page_draws_the_matrix_and_the_chart(reader, django_assert_max_num_queries):
    # the compounds; the tallies read (evidence/tallies.py): the pending sources, the tallies in one statement
    # (on PostgreSQL in a savepoint: two more), the compounds' slugs
    with django_assert_max_num_queries(4 + (2 if connection.vendor == "postgresql" else 0)):
        response = reader.get(reverse("evidence:adverse-effects"))
    page, text = response.content.decode(), text_of(response)
    assert '<svg role="img" aria-labelledby="chart-title chart-desc"' in page
    assert page.count('<rect class="chart__bar chart__bar--') >= 10
    assert "Hepatobiliary disorders liver injury, liver toxicity" in text
    assert "4 sources 11 cases" in text
    assert "System organ class (MedDRA)" in page and "Number of sources reporting" in page


def test_animal_and_in_vitro_toxicity_is_shown_apart_from_human_reports(reader):
    human = text_of(reader.get(reverse("evidence:adverse-effects")))
    assert "Human reports (31)" in human and "Animal and in vitro toxicity (4)" in human
    assert "acute lethality (LD50)" not in human and "abuse liability (self-administration)" not in human
    assert "respiratory depression" not in human
    animal = text_of(reader.get(reverse("evidence:adverse-effects"), {"reported_in": "animals"}))
    assert "acute lethality (LD50)" in animal and "respiratory depression" in animal
    assert "seizure" not in animal


def test_an_unknown_report_group_is_a_clear_400(reader):
    response = reader.get(reverse("evidence:adverse-effects"), {"reported_in": "<plants>"})
    assert response.status_code == 400
    assert "There is no group called “<plants>”: human reports are shown." in text_of(response)


@pytest.mark.parametrize("group", ["humans", "animals"])
def test_each_adverse_effect_cell_links_to_exactly_its_sources(reader, group):
    page = reader.get(reverse("evidence:adverse-effects"), {"reported_in": group}).content.decode()
    cells = re.findall(r'<td><a href="(/sources/\?organ_class=[^"]+)">(\d+) sources?</a>', page)
    assert len(cells) >= (9 if group == "humans" else 3)
    for href, count in cells:
        listed = reader.get(unescape(href)).content.decode()
        assert re.search(rf'id="results-heading">{count} sources?', listed), href


def test_the_adverse_effects_page_queries_do_not_grow(reader):
    before = count_queries(reader, reverse("evidence:adverse-effects"))
    grow_the_evidence_base()
    tallies.fold()  # as each write's commit does (nothing commits inside a test's transaction)
    assert count_queries(reader, reverse("evidence:adverse-effects")) == before


def test_an_empty_adverse_effects_page_says_so(reader):
    AdverseEffectReport.objects.all().delete()
    assert "No adverse effect has been recorded in human reports yet." in text_of(
        reader.get(reverse("evidence:adverse-effects"))
    )


# --- evidence map -----------------------------------------------------------------------------------


def test_the_evidence_map_has_a_column_per_checkworthy_statement_and_a_row_per_linked_source(
    reader, django_assert_max_num_queries
):
    # The GRADE reads (evidence/grading.py): sources' compounds and appraisals, claims' compounds,
    # overrides, upgrades, parts.
    with django_assert_max_num_queries(10):
        response = reader.get(reverse("evidence:evidence-map"))
    page = response.content.decode()
    assert page.count('class="evidence-map__statement"') == 22
    linked = Source.objects.filter(evidence__claim__checkworthy=True).distinct().count()
    assert page.count('<tr>\n      <th scope="row">') == linked
    assert (
        page.count('<td class="cell cell--contradicts">')
        == Evidence.objects.filter(stance="contradicts", claim__checkworthy=True).count()
    )


def test_the_evidence_map_filters_by_category_and_article(reader):
    page = reader.get(reverse("evidence:evidence-map") + f"?category=dosage&article={SEED}").content.decode()
    expected = Claim.objects.filter(category="dosage", checkworthy=True, article__slug=SEED).count()
    assert page.count('class="evidence-map__statement"') == expected
    empty = reader.get(reverse("evidence:evidence-map") + "?category=legal&status=contradicted")
    assert "No statement matches these filters." in text_of(empty)
    assert reader.get(reverse("evidence:evidence-map") + "?category=nonsense").status_code == 400


def test_the_evidence_map_pages_its_statements_and_sources_keeping_the_filters(reader, django_assert_max_num_queries):
    from evidence import views

    views_limits = (views.MAP_STATEMENTS, views.MAP_SOURCES)
    views.MAP_STATEMENTS, views.MAP_SOURCES = 5, 4
    try:
        url = reverse("evidence:evidence-map") + f"?article={SEED}&page=2&sources=2"
        # The article (the filter's choice), the count, the page's claims, their links, their stored statuses.
        with django_assert_max_num_queries(7):
            page = reader.get(url).content.decode()
        assert page.count('class="evidence-map__statement"') == 5
        assert "Statements 6–10 of 22 across, sources 5–8 of " in page
        assert page.count('<th scope="row">') == 4
        # Another page of statements starts its sources again; another page of sources keeps the statements.
        assert f'rel="next" href="?article={SEED}&amp;page=3"' in page
        assert f'rel="next" href="?article={SEED}&amp;page=2&amp;sources=3"' in page
        # The stored status filters in the database like any column.
        with django_assert_max_num_queries(7):
            weak = reader.get(reverse("evidence:evidence-map") + f"?article={SEED}&status=weak&page=3").content.decode()
        assert "Statements 11–12 of 12 across" in weak and weak.count("badge--weak") >= 2
    finally:
        views.MAP_STATEMENTS, views.MAP_SOURCES = views_limits


def test_the_evidence_map_queries_do_not_grow(reader, django_capture_on_commit_callbacks):
    before = count_queries(reader, reverse("evidence:evidence-map"))
    with django_capture_on_commit_callbacks(execute=True):  # committed: the statuses recomputed
        grow_the_evidence_base()
    assert count_queries(reader, reverse("evidence:evidence-map")) == before


def test_every_page_links_the_others_and_marks_where_you_are(reader):
    page = reader.get(reverse("evidence:claims")).content.decode()
    for url in ["/sources/", "/claims/", "/adverse-effects/", "/evidence-map/"]:
        assert f'href="{url}"' in page
    assert '<a href="/claims/" aria-current="page">' in page
