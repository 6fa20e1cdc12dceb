import pytest
from django.core.exceptions import ValidationError

from evidence import identifiers


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("10.1097/ADM.0000000000000986", "10.1097/adm.0000000000000986"),
        ("https://doi.org/10.1021/JACS.6b00360", "10.1021/jacs.6b00360"),
        ("http://dx.doi.org/10.1021/jacs.6b00360", "10.1021/jacs.6b00360"),
        ("doi: 10.1021/jacs.6b00360 ", "10.1021/jacs.6b00360"),
        ("", ""),
    ],
)
def test_it_normalises_dois_to_bare_lower_case(raw, normalised):
    assert identifiers.normalise_doi(raw) == normalised


@pytest.mark.parametrize("bad", ["10.12/x", "11.1021/jacs", "10.1021/with space", "jacs.6b00360", "10.1021/"])
def test_it_rejects_malformed_dois(bad):
    with pytest.raises(ValidationError, match="is not a DOI"):
        identifiers.validate_doi(bad)


def test_it_accepts_a_real_doi():
    identifiers.validate_doi("10.1016/j.neuropharm.2017.08.026")


@pytest.mark.parametrize("bad", ["0123", "12a45", "1234567890", ""])
def test_it_rejects_malformed_pmids(bad):
    with pytest.raises(ValidationError, match="not a PubMed ID"):
        identifiers.validate_pmid(bad)


def test_pmid_and_pmcid_normalisation():
    assert identifiers.normalise_pmid(" PMID: 28830758 ") == "28830758"
    assert identifiers.normalise_pmcid("pmc5344672") == "PMC5344672"
    assert identifiers.normalise_pmcid("5344672") == "PMC5344672"
    with pytest.raises(ValidationError):
        identifiers.validate_pmcid("PMCX1")


@pytest.mark.parametrize(
    ("family", "year", "stem"),
    [
        ("Kruegel", 2016, "Kruegel2016"),
        ("Váradi", 2016, "Varadi2016"),
        ("von Hörsten", 2020, "VonHorsten2020"),
        ("Drug Enforcement Administration", 2016, "DrugEnforcementAdministration2016"),
        ("O'Donnell", None, "ODonnellnd"),
        ("李", 2020, "Anon2020"),
    ],
)
def test_key_stems_are_ascii_name_and_year(family, year, stem):
    assert identifiers.key_stem(family, year) == stem


def test_it_suffixes_a_key_on_clash_like_bibtex_tools():
    assert identifiers.unique_key("Kruegel2016", set()) == "Kruegel2016"
    assert identifiers.unique_key("Kruegel2016", {"Kruegel2016"}) == "Kruegel2016a"
    assert identifiers.unique_key("Kruegel2016", {"Kruegel2016", "Kruegel2016a"}) == "Kruegel2016b"
    taken = {"K2016"} | {f"K2016{chr(c)}" for c in range(ord("a"), ord("z") + 1)}
    assert identifiers.unique_key("K2016", taken) == "K2016aa"


def no_keys(prefix: str) -> set[str]:
    return set()


@pytest.mark.parametrize(
    ("first_author", "title", "year", "key"),
    [
        ("Example", "A synthetic study", 2024, "Example2024"),
        ("", "A synthetic study", 2024, "Anon2024"),  # an author without a family name: not the title
        (None, "Synthetic studies of kratom", 2024, "Synthetic2024"),
        (None, "   ", None, "Anonnd"),
    ],
)
def test_a_generated_key_is_the_first_author_or_else_the_titles_first_word_and_the_year(first_author, title, year, key):
    assert identifiers.citation_key(first_author, title, year, no_keys) == key


def test_a_generated_key_is_suffixed_against_the_keys_in_use_that_start_with_its_stem():
    asked = []

    def keys_in_use(prefix: str) -> set[str]:
        asked.append(prefix)
        return {"Example2024", "Example2024a"}

    assert identifiers.citation_key("Example", "A synthetic study", 2024, keys_in_use) == "Example2024b"
    assert asked == ["Example2024"]


@pytest.mark.parametrize(
    ("preferred", "key"),
    [
        ("Synth:2024-a.b+c_d", "Synth:2024-a.b+c_d"),  # BibTeX's safe characters are kept
        ("Taken2024", "Example2024"),
        ("with space", "Example2024"),
        ("with/slash", "Example2024"),
        ("K" * identifiers.KEY_MAX_LENGTH, "K" * identifiers.KEY_MAX_LENGTH),
        ("K" * (identifiers.KEY_MAX_LENGTH + 1), "Example2024"),
        ("", "Example2024"),
    ],
)
def test_a_files_own_key_is_kept_when_well_formed_and_free(preferred, key):
    taken = {"Taken2024"}
    assert identifiers.citation_key("Example", "A synthetic study", 2024, lambda _: taken, preferred=preferred) == key
