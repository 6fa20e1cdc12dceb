"""/sources/: search, facets with counts, removable filters, sorting, pagination, bad input."""

import re
from html import unescape

import pytest
from django.http import QueryDict
from django.urls import reverse

from evidence.models import Author, Authorship, Compound, Source
from tests.conftest import count_queries

pytestmark = pytest.mark.django_db
SOURCES = reverse("evidence:sources")


def get(client, query=""):
    response = client.get(SOURCES + query)
    return response, response.content.decode()


def result_count(page):
    return int(re.search(r'id="results-heading">([\d,]+) source', page).group(1).replace(",", ""))


def result_keys(page):
    return re.findall(r'class="result__title" href="/sources/([^/]+)/"', page)


def facet_links(page, facet):
    """(label, count, href) of each value the facet offers."""
    block = page.split(f'id="facet-{facet}"')[1].split("</section>")[0]
    return [
        (unescape(re.sub(r"<.*?>", "", label)).strip(), int(count), unescape(href))
        for href, label, count in re.findall(
            r'<a href="([^"]+)" class="facet__value[^"]*"[^>]*>.*?</span> (.*?) '
            r'<span class="facet__count">(\d+)</span>',
            block,
        )
    ]


def test_all_sources_newest_first_paginated(reader):
    response, page = get(reader)
    assert response.status_code == 200
    assert result_count(page) == 76
    assert len(result_keys(page)) == 25
    years = [Source.objects.get(key=key).year for key in result_keys(page)]
    assert [y for y in years if y] == sorted([y for y in years if y], reverse=True)
    assert 'rel="next" href="?page=2"' in page


def test_the_last_page_and_an_out_of_range_page(reader):
    _, page = get(reader, "?page=4")
    assert len(result_keys(page)) == 76 - 75
    _, beyond = get(reader, "?page=99")
    assert result_keys(beyond) == result_keys(page)  # a stale bookmark lands on the last page, not an error


def test_search_ranks_and_the_page_keeps_its_state_in_the_url(reader):
    _, page = get(reader, "?q=abuse+liability&design=animal-study")
    assert set(result_keys(page)) == {"Hemby2018", "Yue2018"}
    assert 'value="abuse liability"' in page
    assert '<input type="hidden" name="design" value="animal-study">' in page  # a new search keeps the facet
    assert '<option value="relevance" selected>' in page


@pytest.mark.parametrize("facet", ["compound", "design", "population", "curation", "organ_class", "supports_category"])
def test_each_facet_count_is_the_number_of_results_its_link_gives(reader, facet):
    _, page = get(reader, "?q=kratom")
    values = facet_links(page, facet)
    assert values, f"facet {facet} offers nothing"
    for label, count, href in values:
        _, narrowed = get(reader, href)
        assert result_count(narrowed) == count, (facet, label)


@pytest.mark.parametrize(
    "start", ["?design=animal-study&population=animals", "?population=humans&curation=reviewed&compound=kratom"]
)
def test_counts_of_facets_counted_together_match_their_links_when_other_facets_are_chosen(reader, start):
    # The source's own columns are counted in one query and split per facet in Python: each count must
    # still keep every other facet's choice, and only those.
    _, page = get(reader, start)
    chosen = QueryDict(start[1:])
    for facet in ["design", "population", "retraction", "curation", "compound"]:
        values = facet_links(page, facet)
        assert values, f"facet {facet} offers nothing"
        for label, count, href in values:
            # A value's count is what it gives in place of the facet's own choice (its link adds it to them).
            alone = QueryDict(unescape(href)[1:], mutable=True)
            toggled = set(alone.getlist(facet)) ^ set(chosen.getlist(facet))
            alone.setlist(facet, list(toggled))
            _, narrowed = get(reader, "?" + alone.urlencode())
            assert result_count(narrowed) == count, (facet, label)


def test_facet_counts_keep_the_other_filters(reader):
    _, page = get(reader, "?population=humans")
    designs = {label: count for label, count, _ in facet_links(page, "design")}
    assert (
        designs["cross-sectional survey"]
        == Source.objects.filter(population="humans", study_design="cross-sectional-survey").count()
    )
    # The facet's own choice does not narrow its counts: other populations stay offered.
    populations = {label for label, _, _ in facet_links(page, "population")}
    assert {"humans", "animals"} <= populations


def test_choices_within_a_facet_widen_and_across_facets_narrow(reader):
    _, one = get(reader, "?design=case-report")
    _, two = get(reader, "?design=case-report&design=case-series")
    _, narrowed = get(reader, "?design=case-report&design=case-series&compound=mitragynine")
    assert result_count(two) == result_count(one) + Source.objects.filter(study_design="case-series").count()
    assert set(result_keys(narrowed)) == set(
        Source.objects.filter(
            study_design__in=["case-report", "case-series"], compounds__slug="mitragynine"
        ).values_list("key", flat=True)
    )


def test_every_active_filter_is_shown_and_removable_one_by_one(reader):
    _, page = get(reader, "?q=kratom&population=humans&year_from=2015&compound=kratom")
    chips = re.findall(r'<a class="chip" href="([^"]+)" aria-label="Remove filter ([^"]+)">', page)
    labels = [unescape(label) for _, label in chips]
    # "kratom" typed as a search stays a search, though a compound has the slug "kratom".
    assert labels == ["Search: kratom", "Compound: Kratom leaf / product", "Population: humans", "From year: 2015"]
    for href, label in chips:
        remaining = unescape(href)
        _, after = get(reader, remaining)
        assert unescape(label) not in [
            unescape(other)
            for _, other in re.findall(r'<a class="chip" href="([^"]+)" aria-label="Remove filter ([^"]+)">', after)
        ]
        assert "page=" not in remaining


def test_a_chosen_value_with_no_results_stays_listed_so_it_can_be_removed(reader):
    _, page = get(reader, "?q=abuse&population=humans&year_from=2015")
    assert result_count(page) == 0
    assert "No source matches “abuse” with these filters." in page
    populations = {label: count for label, count, _ in facet_links(page, "population")}
    assert populations["humans"] == 0


def test_year_range(reader):
    _, page = get(reader, "?year_from=2020&year_to=2021")
    expected = Source.objects.filter(year__gte=2020, year__lte=2021).count()
    assert result_count(page) == expected


@pytest.mark.parametrize(
    ("sort", "field"),
    [("oldest", "year"), ("title", "title"), ("author", "author_names")],
)
def test_sorts(reader, sort, field):
    _, page = get(reader, f"?sort={sort}&design=narrative-review")
    keys = result_keys(page)
    values = [getattr(Source.objects.get(key=key), field) for key in keys]
    assert values == sorted(values)


def test_first_author_sort_uses_the_first_author(reader):
    _, page = get(reader, "?sort=author&design=case-report")
    keys = result_keys(page)
    firsts = [Source.objects.with_authors().get(key=key).ordered_authors[0].family for key in keys]
    assert firsts == sorted(firsts)


def test_the_adverse_effect_chart_filter_matches_one_report_not_two(reader):
    # A source studying mitragynine that reports a liver effect of *kratom* is not a mitragynine liver report.
    _, page = get(reader, "?organ_class=Hepatobiliary+disorders&reported_with=mitragynine")
    assert result_count(page) == 0
    _, page = get(reader, "?organ_class=Hepatobiliary+disorders&reported_with=kratom")
    assert result_count(page) == 4
    assert "Reported with: Kratom leaf / product" in unescape(page)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?year_from=abc", "From year: Enter a number."),
        ("?compound=nope", "Compound: Select a valid choice. nope is not one of the available choices."),
        ("?design=moon", "Study design: Select a valid choice. moon is not one of the available choices."),
        # Refused before the form sees it, by the request input check (tests/test_request_input.py).
        ("?q=%00", "The value of the query parameter “q” contains a control character (U+0000)"),
    ],
)
def test_invalid_filter_values_get_a_clear_message_not_a_500(reader, query, message):
    response, page = get(reader, query)
    assert response.status_code == 400
    assert message in unescape(page)
    assert 'role="alert"' in page


def test_an_unknown_sort_falls_back_and_says_so(reader):
    response, page = get(reader, "?sort=zzz")
    assert response.status_code == 200 and result_count(page) == 76
    assert "There is no sort called “zzz”: sorted newest first instead." in unescape(page)


def test_a_hostile_query_is_escaped(reader):
    _, page = get(reader, "?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_retracted_and_draft_sources_are_marked_in_the_list(reader):
    source = Source.objects.get(key="Tatum2018")
    source.retraction_status = "retracted"
    source.curation_status = "draft"
    source.save()
    _, page = get(reader, "?q=Tatum")
    assert '<strong class="tag tag--warning">retracted</strong>' in page
    assert '<span class="tag">draft</span>' in page


def add_sources(number):
    compound = Compound.objects.get(slug="mitragynine")
    author = Author.objects.create(family="Padding", given="P.")
    for i in range(number):
        source = Source.objects.create(
            key=f"Padding{i}",
            title=f"Padding study {i} on abuse",
            year=2000 + i % 20,
            study_design="animal-study",
            population="animals",
        )
        source.compounds.add(compound)
        Authorship.objects.create(source=source, author=author, position=1)


EVERY_FILTER = (
    "?q=kratom&compound=kratom&design=case-report&population=humans&year_from=2000&year_to=2025&retraction=none"
    "&adverse_effect=seizure+(recurrent)&organ_class=Nervous+system+disorders&reported_with=kratom"
    "&supports_category=safety&curation=reviewed&sort=title"
)


@pytest.mark.parametrize(
    ("query", "most"),
    # A search adds at most 4: the lexicon (compounds, thesaurus entries; once a minute), the spelling check,
    # and the sources matching some of the words when every word finds less than a page.
    [
        ("", 11),
        ("?q=abuse", 14),
        ("?q=abuse+quokka", 15),
        ("?q=abuse&population=animals&sort=author&page=2", 14),
        (EVERY_FILTER, 30),
    ],
)
def test_the_query_count_does_not_grow_with_the_results(reader, django_assert_max_num_queries, query, most):
    # One query per related facet and one for the four column facets, plus (per facet) the validation
    # of each chosen compound or effect.
    count_queries(
        reader, SOURCES + query
    )  # the search lexicon is read once a minute: not part of what a page costs per result
    before = count_queries(reader, SOURCES + query)
    add_sources(60)
    # The 60 sources match no search here: "kratom", which matched most sources, now matches fewer than half,
    # and its facets are counted over its matches instead of from the counts without the search (one query).
    assert count_queries(reader, SOURCES + query) == (before - 1 if "q=kratom" in query else before)
    with django_assert_max_num_queries(most):
        reader.get(SOURCES + query)
