"""The "same work" rule as pure functions: records in, matches out, no database. Records are synthetic."""

from types import SimpleNamespace

import pytest

from evidence.bibliography.dedup import (
    comparable,
    first_match,
    first_with_title_and_year,
    identities,
    record_identities,
    same_work,
)
from evidence.bibliography.records import PersonName, SourceRecord


def record(**values) -> SourceRecord:
    values.setdefault("title", "A synthetic study of kratom")
    values.setdefault("year", 2024)
    values.setdefault("authors", [PersonName("Example", "Ann")])
    return SourceRecord(**values)


def test_identities_are_doi_then_pmid_then_title_year_and_first_author_all_normalised():
    one = record(doi="10.9999/SYNTH.1", pmid="100", title="Kratom: A “Review”", authors=[PersonName("Ünal", "A")])
    assert record_identities(one) == [
        ("doi", "10.9999/synth.1"),
        ("pmid", "100"),
        ("title", "kratom a review", 2024, "unal"),
    ]


def test_a_record_without_doi_pmid_or_title_has_no_identity_and_one_without_authors_a_blank_author():
    assert identities("", "", "", 2024, "Example") == []
    assert record_identities(record(authors=[])) == [("title", "a synthetic study of kratom", 2024, "")]


@pytest.mark.parametrize("by", ["doi", "pmid", "title"])
def test_different_dois_or_pmids_make_different_works_whatever_matched(by):
    ours = record(doi="10.9999/synth.1", pmid="100")
    assert same_work(ours, record(doi="10.9999/SYNTH.1", pmid="100"), by)
    assert not same_work(ours, record(doi="10.9999/synth.2"), by)
    assert not same_work(ours, record(pmid="101"), by)
    assert same_work(ours, record(), by)  # an identifier missing on one side is no difference


def test_a_title_match_also_needs_volume_issue_and_pages_not_to_differ():
    editorial = record(title="Editorial", volume="12", issue="3", pages="1-2")
    assert same_work(editorial, record(title="Editorial", volume="12", issue="3", pages="1-2"), "title")
    assert same_work(editorial, record(title="Editorial", volume="12"), "title")  # missing is no difference
    assert not same_work(editorial, record(title="Editorial", volume="12", issue="4", pages="1-2"), "title")
    assert not same_work(editorial, record(title="Editorial", volume="13", issue="3", pages="1-2"), "title")
    # A DOI match is enough: the same work cited with different page ranges is still one work.
    assert same_work(editorial, record(title="Editorial", volume="12", issue="3", pages="5-6"), "doi")


def test_first_match_tries_the_strongest_identity_first_and_skips_candidates_that_are_not_the_same_work():
    ours = record(doi="10.9999/synth.1", volume="12")
    by_title = record(volume="12")
    other_volume = record(volume="13")
    by_doi = record(doi="10.9999/synth.1")
    keys = record_identities(ours)
    index = {keys[1]: [other_volume, by_title], keys[0]: [by_doi]}
    assert first_match(ours, keys, index) is by_doi
    assert first_match(ours, keys, {keys[1]: [other_volume, by_title]}) is by_title
    assert first_match(ours, keys, {keys[1]: [other_volume]}) is None
    assert first_match(ours, keys, {}) is None


def test_first_match_reads_wrapped_candidates_through_record_of():
    ours = record(volume="12")
    keys = record_identities(ours)
    wrapped = [SimpleNamespace(record=record(volume="13")), SimpleNamespace(record=record(volume="12"))]
    assert first_match(ours, keys, {keys[0]: wrapped}, record_of=lambda entry: entry.record) is wrapped[1]


def test_a_hand_added_source_matches_by_normalised_title_and_year_alone():
    existing = [
        SimpleNamespace(key="Synth2023", title="A synthetic study of kratom", year=2023),
        SimpleNamespace(key="Synth2024", title="A Synthetic Study of Kratom.", year=2024),
        SimpleNamespace(key="Synth2024b", title="A synthetic study of kratom", year=2024),
    ]
    assert first_with_title_and_year("a synthetic  study of KRATOM", 2024, existing).key == "Synth2024"
    assert first_with_title_and_year("A synthetic study of kratom", 2022, existing) is None
    assert first_with_title_and_year("A synthetic study of coffee", 2024, existing) is None
    undated = [SimpleNamespace(key="SynthNd", title="A synthetic study of kratom", year=None)]
    assert first_with_title_and_year("A synthetic study of kratom", None, undated).key == "SynthNd"


def test_values_are_compared_normalised_when_text_and_as_written_otherwise():
    assert comparable("Journal of  Synthetic Studies.") == comparable("journal of synthetic studies")
    assert comparable(12) == "12" != comparable(13)
