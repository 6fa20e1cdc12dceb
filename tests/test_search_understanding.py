"""Query understanding (issue 13): synonyms, lay words, spelling, some-words fallback, linked records, and the
development set's floor. Every test runs on the database the suite runs on (SQLite or PostgreSQL)."""

from urllib.parse import quote

import pytest
from django.http import QueryDict
from django.urls import reverse

from evidence import search
from evidence.filters import find_sources
from evidence.models import AdverseEffect, AdverseEffectReport, Compound, Source, ThesaurusEntry
from evidence.query import quality
from evidence.query.parse import parse
from evidence.query.spelling import correct, edit_distance
from evidence.query.thesaurus import MAX_ALTERNATIVES, MAX_GROUPS, build_lexicon, understand

pytestmark = pytest.mark.django_db
SOURCES = reverse("evidence:sources")


def keys(q):
    return set(search.search(Source.objects.all(), q).values_list("key", flat=True))


def page(client, q, extra=""):
    response = client.get(f"{SOURCES}?q={quote(q)}{extra}")
    return response, response.content.decode()


# The examples issue 13 reports as finding nothing or too little, with the sources the demo data hold on each.
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("liver damage", {"Ahmad2021", "Schimmel2020", "LiverToxKratom", "Hofmeister2022"}),
        ("heart problems", {"Post2019", "Striley2022"}),
        ("opioid replacement", {"Swogger2018", "Vicknasingam2010"}),
        ("kratom tea", {"Vicknasingam2020"}),
        ("dependence in humans", {"Smith2022JAM", "GarciaRomeu2020"}),
        ("liver toxicity", {"Ahmad2021", "Schimmel2020", "LiverToxKratom", "Hofmeister2022"}),
        ("overdose deaths", {"Olsen2019", "Behonick2022"}),
    ],
)
def test_the_issues_examples_find_their_sources(q, expected):
    assert expected <= keys(q)


def test_a_compound_finds_every_source_tagged_with_it_whatever_the_title_calls_it():
    tagged = set(Source.objects.filter(compounds__slug="7-hydroxymitragynine").values_list("key", flat=True))
    assert len(tagged) == 17
    assert tagged <= keys("7-hydroxymitragynine")
    assert tagged <= keys("7-OH")


def test_accents_do_not_matter_on_either_database():
    assert "Varadi2016" in keys("Varadi")


def test_search_reaches_design_adverse_effects_and_organ_class():
    assert {"Tatum2018", "Afzal2020"} <= keys("case report")  # the design; neither title says so
    assert "Hofmeister2022" in keys("renal and urinary disorders")  # the organ class of its report
    source = Source.objects.get(key="Grewal1932")
    effect = AdverseEffect.objects.create(term="quokkaitis", system_organ_class="Cardiac disorders")
    report = AdverseEffectReport.objects.create(source=source, effect=effect, compound=Compound.objects.first())
    assert keys("quokkaitis") == {"Grewal1932"}
    report.delete()
    assert keys("quokkaitis") == set()


def test_lay_words_map_to_the_preferred_term_but_are_not_searched_for_themselves():
    query = understand("painkiller")
    assert ("analgesic",) in query.groups[0].alternatives
    lexicon = build_lexicon(
        [{"preferred": "insomnia", "entry": ["sleeplessness"], "lay": ["can't sleep"], "from": "test"}], [], []
    )
    alternatives = understand("can't sleep", lexicon).groups[0].alternatives
    assert ("insomnia",) in alternatives and ("sleeplessness",) in alternatives
    assert ("cant", "sleep") not in alternatives


def test_parse_keeps_phrases_or_and_exclusions():
    terms = parse('"use disorder" or withdrawal -mice')
    assert [(t.words, t.quoted, t.negated, t.after_or) for t in terms] == [
        (("use", "disorder"), True, False, False),
        (("withdrawal",), False, False, True),
        (("mice",), False, True, False),
    ]


def test_a_curators_entry_takes_effect_at_once():
    assert keys("zebrafishword") == set()
    ThesaurusEntry.objects.create(term="zebrafishword", synonyms="seizures")
    assert {"Tatum2018", "Afzal2020"} <= keys("zebrafishword")


def test_a_thesaurus_cycle_is_expanded_one_step_and_ends(reader):
    ThesaurusEntry.objects.create(term="alphaword", synonyms="betaword\nseizure")
    ThesaurusEntry.objects.create(term="betaword", synonyms="alphaword")
    alternatives = understand("alphaword").groups[0].alternatives
    assert alternatives == (("alphaword",), ("betaword",), ("seizure",))
    assert reader.get(SOURCES + "?q=alphaword").status_code == 200


def test_an_expansion_of_a_thousand_terms_is_bounded(reader, django_assert_max_num_queries):
    ThesaurusEntry.objects.create(term="manyword", synonyms="\n".join(f"synonym{i} word{i}" for i in range(1000)))
    query = understand("manyword " * 40)
    assert len(query.groups) <= MAX_GROUPS
    assert all(len(group.alternatives) <= MAX_ALTERNATIVES for group in query.groups)
    with django_assert_max_num_queries(15):
        assert reader.get(SOURCES + "?q=" + "manyword+" * 40).status_code == 200


@pytest.mark.parametrize(
    "hostile",
    [
        "x" * 10_000,
        "liver " + "y" * 10_000,
        "abuse\x00liability",
        "\x00",
        'NEAR(a b) AND title:abuse OR "',
        "abuse* ^seizure {title}: (a OR b) NOT c",
        "'a' & !b | c <-> d :* <2>",
        "kratom' OR '1'='1",
        "-" * 300,
        '""" -"" or or or',
        "\u202e\u200bseizure\ufeff",
    ],
)
def test_bad_input_gets_a_page_never_a_500(reader, hostile):
    response = reader.get(SOURCES, {"q": hostile})
    assert response.status_code in (200, 400)


def test_a_misspelt_word_is_corrected_and_the_page_says_so(reader):
    assert correct("respiratory depresion").corrected == "respiratory depression"
    assert correct("siezures").corrected == "seizures"
    assert correct("seizures") is None  # a word the index holds is never corrected
    assert correct("quokkaword") is None  # nor one nothing is near
    response, html = page(reader, "siezures")
    assert response.status_code == 200
    assert "Showing results for" in html and "search instead for" in html
    assert "Tatum2018" in html or "Recurrent seizures" in html
    _, verbatim = page(reader, "siezures", "&verbatim=1")
    assert "Showing results for" not in verbatim and "No source matches" in verbatim


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("siezure", "seizure", 2) == 1
    assert edit_distance("kitten", "sitting", 2) == 3  # beyond the limit: limit + 1


def test_the_some_words_list_follows_under_a_visible_line(reader):
    _, html = page(reader, "seizures quokkaword")
    assert "No more sources match every word; these match some of them" in html
    assert "Recurrent <mark>seizures</mark>" in html
    _, html = page(reader, "seizures")
    assert "No more sources match every word" not in html


def test_matched_words_are_highlighted_and_the_text_escaped(reader):
    source = Source.objects.get(key="Tatum2018")
    source.title = "<script>alert(1)</script> seizures & more"
    source.save()
    _, html = page(reader, "seizure")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>seizures</mark> &amp; more" in html
    assert "<script>alert(1)" not in html


def test_facets_and_exports_use_the_corrected_query(reader):
    found = find_sources(QueryDict("q=siezures"))
    assert found.correction is not None and found.data["q"] == "seizures"
    assert {"Tatum2018", "Afzal2020"} <= set(found.results.values_list("key", flat=True))


def test_search_quality_stays_above_its_floor_on_the_development_set():
    result = quality.measure(quality.page_ranking, quality.load_dev_set())
    assert len(result.scores) >= 30
    # Before issue 13: nDCG@10 0.24 (SQLite) / 0.26 (PostgreSQL), recall@10 0.19, 28 / 26 queries found nothing.
    assert result.zero_results == 0
    assert result.ndcg >= 0.80
    assert result.recall >= 0.80
