"""Round-trip fidelity: every real-world file (../shared/data/realworld/) and the demo data, read, written
in each format and read back, gives the same records field by field -- name parts, organisations, et al.,
pages, dates, identifiers. The differences no format can avoid are listed in UNAVOIDABLE (and in
docs/bibliographies.md). Our BibTeX also goes through real `bibtex` (plain.bst) and `biber --tool
--validate-datamodel` with 0 errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest
from django.conf import settings

from evidence.bibliography.formats import EXPORT_FORMATS, IMPORT_FORMATS, parse
from evidence.bibliography.records import PersonName, SourceRecord
from evidence.bibliography.sources import records_of
from evidence.models import Source

REALWORLD = Path(settings.SHARED_DATA_DIR) / "realworld"
FILES = sorted(
    path
    for path in REALWORLD.rglob("*")
    if path.is_file() and path.suffix in (".bib", ".ris", ".json") and "/wos/" not in str(path)
)
# Export format -> the reader of its files.
ROUND_TRIPS = {"bibtex": "bibtex", "bibtex-utf8": "bibtex", "ris": "ris", "csljson": "csljson"}
# Every bibliographic field; not where a record stood in its file, nor what the reader noted about it.
COMPARED = [field.name for field in fields(SourceRecord) if field.name not in {"line", "changes"}]
KEY = re.compile(r"^[\w:.+-]+$")
PAGE_DASH = re.compile(r"\s*(?:--|[-–—])\s*")
# What a format cannot carry, so that a round trip through it changes it (docs/bibliographies.md):
# RIS's AU is "Family, Given": a family name with a comma in it ("Hunt, III", "Oncology Center, FDA")
# splits there, and a name without a comma is read as an organisation when it has several words.
UNAVOIDABLE = {("ris", "authors")}


def comparable(value, name: str):
    """Every format folds line breaks and runs of spaces; page ranges come back with an en dash."""
    if isinstance(value, str):
        value = " ".join(value.split())
        return PAGE_DASH.sub("–", value) if name == "pages" else value
    if isinstance(value, list):
        return [PersonName(" ".join(p.family.split()), " ".join(p.given.split()), p.is_organization) for p in value]
    return value


def with_usable_keys(records: list[SourceRecord]) -> list[SourceRecord]:
    """Keys as an import leaves them: present and unique (the database gives one to each record)."""
    seen = set()
    for number, record in enumerate(records):
        if not KEY.match(record.key) or record.key in seen:
            record.key = f"rec{number}"
        seen.add(record.key)
    return records


def differences(records: list[SourceRecord], fmt: str) -> list[str]:
    text = "".join(EXPORT_FORMATS[fmt].write(records, "apa"))
    back = IMPORT_FORMATS[ROUND_TRIPS[fmt]](text)
    assert not back.problems, back.problems[:3]
    assert len(back.records) == len(records)
    found = []
    for before, after in zip(records, back.records, strict=True):
        for name in COMPARED:
            if (fmt, name) in UNAVOIDABLE:
                continue
            if comparable(getattr(before, name), name) != comparable(getattr(after, name), name):
                found.append(f"{before.key}.{name}: {getattr(before, name)!r} -> {getattr(after, name)!r}")
    return found


@pytest.mark.parametrize("fmt", ROUND_TRIPS)
@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_real_world_file_round_trips_field_by_field(path, fmt):
    records = with_usable_keys(parse(path.read_bytes()).records)  # (biber's definitions.bib holds none)
    assert differences(records, fmt) == []


def test_the_files_hold_what_the_round_trip_must_keep():
    """The real files do exercise the hard parts: particles, suffixes, organisations, et al., pages, months."""
    records = [record for path in FILES for record in parse(path.read_bytes()).records]
    names = [name for record in records for name in record.authors]
    assert sum(name.family.split()[0].islower() for name in names if " " in name.family) > 20  # van, de, von …
    assert sum(name.is_organization for name in names) > 5
    assert sum("Jr" in name.given or "III" in name.given or ", Jr" in name.family for name in names) > 3
    assert sum(record.authors_truncated for record in records) >= 1
    assert sum(bool(record.pages) for record in records) > 1000
    assert sum(record.month is not None for record in records) > 100
    assert sum(bool(record.doi) for record in records) > 100 and sum(bool(record.pmid) for record in records) > 40
    assert sum(bool(record.journal_abbreviation) for record in records) > 50


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ROUND_TRIPS)
def test_the_demo_data_round_trips_with_its_curators_fields(fmt):
    records = list(records_of(Source.objects.order_by("key"), internal=True))
    assert differences(records, fmt) == []


# --- real BibTeX tools --------------------------------------------------------------------------------


def require(program: str, package: str) -> None:
    if shutil.which(program) is None:
        if os.environ.get("REQUIRE_BIBTEX") == "1":
            pytest.fail(f"{program} is missing: apt-get install --no-install-recommends {package}")
        pytest.skip(f"{program} is missing (apt-get install --no-install-recommends {package})")


def demo_bibtex(fmt: str = "bibtex") -> str:
    return "".join(EXPORT_FORMATS[fmt].write(records_of(Source.objects.public().order_by("key"))))


@pytest.mark.django_db
def test_bibtex_with_plain_bst_reads_the_demo_export_without_an_error(tmp_path):
    require("bibtex", "texlive-binaries")
    if not subprocess.run(["kpsewhich", "plain.bst"], capture_output=True, text=True).stdout.strip():
        require("plain.bst is missing", "texlive-base")
    (tmp_path / "refs.bib").write_text(demo_bibtex(), encoding="utf-8")
    (tmp_path / "paper.aux").write_text("\\citation{*}\n\\bibstyle{plain}\n\\bibdata{refs}\n")
    environment = {**os.environ, "BIBINPUTS": f"{tmp_path}:"}
    done = subprocess.run(["bibtex", "paper"], cwd=tmp_path, env=environment, capture_output=True, text=True)
    log = (tmp_path / "paper.blg").read_text(errors="replace")
    assert done.returncode < 2, log  # 1 means warnings only
    assert "error message" not in log
    bbl = (tmp_path / "paper.bbl").read_text(errors="replace")
    assert bbl.count("\\bibitem{") == Source.objects.public().count()
    assert "Drug Enforcement Administration" in bbl and "et~al." in bbl
    assert "6754--6764" in bbl
    # plain.bst warns only where the data has no year or no journal (a document it does not know).
    warnings = [line for line in log.splitlines() if line.startswith("Warning--")]
    assert all(
        re.match(r"Warning--(empty (year|journal|publisher|booktitle|institution)|to sort, need)", w) for w in warnings
    ), warnings


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["bibtex", "bibtex-utf8"])
def test_biber_validates_the_demo_export_against_the_biblatex_data_model(tmp_path, fmt):
    require("biber", "biber")
    (tmp_path / "refs.bib").write_text(demo_bibtex(fmt), encoding="utf-8")
    done = subprocess.run(
        ["biber", "--tool", "--validate-datamodel", "--output-directory", str(tmp_path), "refs.bib"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert not [line for line in output.splitlines() if line.startswith("ERROR")], output
    # Its only warnings: our own curated fields, which the biblatex data model does not define, and
    # undated records (the data has no year for them).
    ours = "studydesign|population|samplesize|samplesizeunit|pmid|pmcid|annote"
    unexpected = [
        line
        for line in output.splitlines()
        if line.startswith("WARN")
        and not re.search(rf"Field '({ours})' invalid in data model|one of 'date, year' must be defined", line)
    ]
    assert unexpected == []
