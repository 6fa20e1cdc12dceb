"""Real bibliography files from public repositories (../shared/data/realworld*/, provenance in their READMEs):
every one is read with a per-entry outcome and no crash, and the outcomes are pinned."""

from pathlib import Path

import pytest
from django.conf import settings

from evidence.bibliography.formats import UnknownFormat, parse
from evidence.bibliography.importer import Action, commit_import, plan_import
from evidence.models import Source

pytestmark = pytest.mark.django_db
DATA = Path(settings.SHARED_DATA_DIR)

# file -> (new, duplicate, conflict, failed) against the demo database. Failures are entries with no
# title, a value too long for its field, an invalid year or URL, or a crossref cycle, each with its reason.
EXPECTED = {
    "realworld-bib/article_missing_coma.bib": (4, 0, 0, 0),
    "realworld-bib/article_no_braces.bib": (1, 0, 0, 0),
    "realworld-bib/article_with_strings.bib": (1, 0, 0, 0),
    "realworld-bib/book_capital_AND.bib": (1, 0, 0, 0),
    "realworld-bib/confusable_names.bib": (0, 0, 0, 8),
    "realworld-bib/crossref_cascading_cycle.bib": (0, 0, 0, 2),
    "realworld-bib/encoding.bib": (1, 0, 0, 0),
    "realworld-bib/features2.bib": (1, 0, 0, 0),
    "realworld-bib/gbk_test.bib": (1, 0, 0, 0),
    "realworld-bib/messy_bibfile.bib": (939, 1, 2, 0),
    "realworld-bib/random.bib": (228, 0, 1, 0),
    "realworld-bib/traps.bib": (1, 0, 0, 0),
    "realworld-bib/website.bib": (1, 0, 0, 0),
    "realworld/bibtex/613Martin-transfer-effect-mistriage__library.bib": (41, 0, 0, 2),
    "realworld/bibtex/Borisln90-med5report__library.bib": (37, 4, 0, 0),
    "realworld/bibtex/jabref__testbib__complex.bib": (19, 0, 1, 0),
    "realworld/bibtex/jabref__testbib__testjabref.bib": (156, 0, 0, 0),
    "realworld/bibtex/pharmpy__docs__references.bib": (5, 0, 0, 1),
    "realworld/bibtex/plk-biber__etc__definitions.bib": (0, 0, 0, 0),
    "realworld/bibtex/plk-biber__etc__papers.bib": (2133, 6, 6, 12),
    "realworld/bibtex/plk-biber__t-tdata__dateformats.bib": (8, 9, 10, 7),
    "realworld/bibtex/plk-biber__t-tdata__encoding3_latin1.bib": (1, 0, 0, 0),
    "realworld/bibtex/plk-biblatex__biblatex-examples.bib": (86, 3, 1, 2),
    "realworld/bibtex/pybtex__examples__tugboat.bib": (2718, 0, 0, 2),  # its own macros kept as text
    "realworld/bibtex/pybtex__tests-data__cyrillic.bib": (5, 0, 0, 0),
    "realworld/bibtex/pybtex__tests-data__xampl.bib": (19, 14, 0, 3),
    "realworld/csl-json/AlexsLemonade-OpenPBTA-manuscript__manual-references.json": (56, 0, 2, 0),
    "realworld/csl-json/dhimmel-rephetio-manuscript__manual-references-freeze.json": (241, 0, 0, 0),
    "realworld/medline/asreview-citation-file-formatting___baseline_pubmed.ris": (50, 0, 0, 0),
    "realworld/ris/asreview-citation-file-formatting___baseline_embase.ris": (10, 0, 0, 0),
    "realworld/ris/asreview-citation-file-formatting___baseline_endnote.ris": (10, 0, 0, 0),
    "realworld/ris/asreview-citation-file-formatting___baseline_scopus.ris": (10, 0, 0, 0),
    "realworld/ris/asreview-citation-file-formatting___baseline_webofscience.ris": (10, 0, 0, 0),
    "realworld/ris/asreview-citation-file-formatting___baseline_zotero.ris": (9, 0, 0, 1),
    "realworld/ris/jabref__RisImporterTest5a_scifinder.ris": (1, 0, 0, 0),
}
NOT_SUPPORTED = {"realworld/wos/knh11545-commandline4expertsearchers__WoS_other_reference_software_r4001-4012.txt"}


def plan_for(name: str):
    return plan_import(parse((DATA / name).read_bytes()))


def test_every_shared_file_is_listed_here():
    files = {
        str(path.relative_to(DATA))
        for path in DATA.glob("realworld*/**/*")
        if path.is_file() and path.name not in ("README.md", "SHA256SUMS")
    }
    assert files == set(EXPECTED) | NOT_SUPPORTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_real_file_is_read_with_an_outcome_for_every_entry(name):
    plan = plan_for(name)
    counts = tuple(plan.count(action) for action in (Action.NEW, Action.DUPLICATE, Action.CONFLICT, Action.FAILED))
    assert counts == EXPECTED[name]
    for entry in plan.entries:
        assert entry.reason or entry.action == Action.NEW
        if entry.action == Action.FAILED:
            assert entry.line is not None or plan.format == "csljson"


def test_a_web_of_science_file_is_refused_with_a_clear_message():
    (name,) = NOT_SUPPORTED
    with pytest.raises(UnknownFormat, match="expected BibTeX"):
        plan_for(name)


@pytest.mark.parametrize(
    "name",
    [
        "realworld-bib/messy_bibfile.bib",
        "realworld/medline/asreview-citation-file-formatting___baseline_pubmed.ris",
        "realworld/ris/asreview-citation-file-formatting___baseline_zotero.ris",
        "realworld/csl-json/dhimmel-rephetio-manuscript__manual-references-freeze.json",
        "realworld-bib/gbk_test.bib",
    ],
)
def test_real_files_commit_and_a_second_import_finds_them_all(name):
    before = Source.objects.count()
    result = commit_import(parse((DATA / name).read_bytes()))
    assert Source.objects.count() == before + result.plan.count(Action.NEW) == before + len(result.created)
    again = plan_for(name)
    assert again.count(Action.NEW) == 0
    assert again.count(Action.FAILED) == result.plan.count(Action.FAILED)


def test_the_gbk_file_keeps_its_chinese_author():
    commit_import(parse((DATA / "realworld-bib/gbk_test.bib").read_bytes()))
    assert Source.objects.filter(author_names__contains="凯撒").exists()
