"""Reading BibTeX into neutral records, including the traps measured in bibtexparser 2.1."""

import pytest

from evidence.bibliography import latex
from evidence.bibliography.bibtex import BibtexError, parse_bibtex, read_bibtex
from evidence.bibliography.records import PersonName


def test_it_reads_fields_authors_and_latex():
    (record,) = read_bibtex(
        r"""@article{Varadi2016,
  author = {V{\'a}radi, Andr{\'a}s and von H{\"o}rsten, S. and {World Health Organization}},
  title = {Which Do Not Recruit {$\beta$}-Arrestin-2},
  journal = {ACS Pharmacology \& Translational Science},
  year = {2016}, number = {18}, pages = {8381--8397},
  doi = {10.1021/acs.jmedchem.6b00748}, pmid = {27556704},
  keywords = {kratom; opioid, receptor; mitragynine},
  studydesign = {narrative-review}, samplesize = {26}
}"""
    )
    assert record.key == "Varadi2016"
    assert record.authors == [
        PersonName("Váradi", "András"),
        PersonName("von Hörsten", "S."),
        PersonName("World Health Organization", is_organization=True),
    ]
    assert record.title == "Which Do Not Recruit β-Arrestin-2"
    assert record.container_title == "ACS Pharmacology & Translational Science"
    assert (record.year, record.issue, record.pages) == (2016, "18", "8381–8397")
    # Semicolons, when there are any, separate keywords: a MeSH heading like "Carcinoma, Squamous Cell"
    # holds a comma.
    assert record.keywords == "kratom; opioid, receptor; mitragynine"
    assert record.entry_type == "review"  # a journal article whose design is a review
    assert record.sample_size == 26
    assert record.line == 1


def test_month_macros_become_numbers():
    (record,) = read_bibtex("@misc{a, title={T}, month = aug, year = {2016}}")
    assert record.month == 8
    assert record.entry_type == "webpage"


def test_a_bare_percent_is_text_not_a_latex_comment():
    (record,) = read_bibtex(r"@article{a, title = {50% of {\'e}l{\`e}ves reported relief}}")
    assert record.title == "50% of élèves reported relief"


def test_a_stray_closing_brace_fails_the_entry_it_cuts_short():
    # bibtexparser ends the entry at the stray brace and files the rest as a comment, reporting nothing;
    # writing the first half would lose the year without a word.
    with pytest.raises(BibtexError) as error:
        read_bibtex("@article{a,\n  title = {T}},\n  year = {2016}\n}\n")
    assert str(error.value).startswith("line 1: cut short by a stray `}`: the fields from line 2 on")
    assert str(error.value).endswith("fell outside the entry, so the whole entry fails")


def test_fields_after_something_other_than_an_entry_fail_on_their_own():
    parsed = parse_bibtex("@comment{a note}\n  year = {2016}\n}\n")
    assert parsed.records == []
    assert [str(problem) for problem in parsed.problems] == [
        "line 2: fields outside any entry (a stray brace?): 'year = {2016}\\n}'"
    ]


def test_a_malformed_entry_is_reported_with_its_line():
    with pytest.raises(BibtexError) as error:
        read_bibtex("@article{good, title={T}}\n\n@article{bad, title = {unterminated\n")
    assert error.value.problems and error.value.problems[0].startswith("line 3")


def test_comment_lines_between_entries_are_fine():
    records = read_bibtex("% a comment\n@article{a, title={T}}\n% another\n@comment{x}\n")
    assert [record.key for record in records] == ["a"]


def test_decoding_refuses_huge_latex_fields_instead_of_hanging():
    with pytest.raises(latex.LatexTooLong):
        latex.decode_latex("\\'e" * (latex.MAX_DECODED_LENGTH // 3 + 1))


def test_plain_text_takes_the_fast_path_unchanged():
    value = "Kratom use in the United States: a survey of 2,798 users"
    assert latex.decode_latex(value) is value
