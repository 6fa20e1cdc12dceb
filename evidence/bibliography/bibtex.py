"""BibTeX -> SourceRecord, with bibtexparser 2 doing the parsing and our code closing its traps."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import bibtexparser
from bibtexparser import model
from bibtexparser.middlewares import MonthIntMiddleware, RemoveEnclosingMiddleware
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names

from ..vocabularies import EntryType, StudyDesign
from .case import protected_spans
from .latex import decode_latex, encode_latex, escape_specials
from .records import ParsedFile, PersonName, ReadProblem, SourceRecord, join_keywords, split_keywords, written_keywords

# Only the entry types this maps; any other BibTeX type is read as a journal article.
ENTRY_TYPES = {
    "article": "article",
    "book": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "inproceedings": "chapter",
    "conference": "chapter",
    "techreport": "report",
    "report": "report",
    "phdthesis": "report",
    "mastersthesis": "report",
    "misc": "webpage",
    "online": "webpage",
    "electronic": "webpage",
    "webpage": "webpage",
    "dataset": "dataset",
}
REVIEW_DESIGNS = {StudyDesign.SYSTEMATIC_REVIEW, StudyDesign.NARRATIVE_REVIEW}
# BibTeX field -> SourceRecord attribute, for the fields copied as decoded text.
TEXT_FIELDS = {
    "title": "title",
    "journal": "container_title",
    "journaltitle": "container_title",  # biblatex's name for it
    "booktitle": "container_title",
    "shortjournal": "journal_abbreviation",
    "volume": "volume",
    "number": "issue",
    "pages": "pages",
    "publisher": "publisher",
    "institution": "publisher",
    "organization": "publisher",
    "school": "publisher",
    "address": "place",
    "type": "report_type",
    "howpublished": "howpublished",
    "abstract": "abstract",
    "annote": "summary",
    "samplesizeunit": "sample_size_unit",
}
# Identifiers, URLs and our own controlled fields are never LaTeX: copied verbatim.
VERBATIM_FIELDS = {
    "doi": "doi",
    "pmid": "pmid",
    "pmcid": "pmcid",
    "url": "url",
    "studydesign": "study_design",
    "population": "population",
    "provenance": "provenance",
}
VERBATIM_BACKSLASH = "\\textbackslash{}"
WHOLE_NUMBER = re.compile(r"^\d+$")
# Free text between entries is a comment to BibTeX; text with `name = {value` in it is what is left of
# an entry that a stray "}" ended early (bibtexparser files it as a comment without a word).
LEFTOVER_FIELD = re.compile(r"\b\w+\s*=\s*[{\"\d]")


class BibtexError(ValueError):
    """The file has blocks that are not well-formed entries; each problem names its line."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_bibtex(text: str) -> ParsedFile:
    """Every entry that can be read, and a problem (with its line) for every block that cannot."""
    library = bibtexparser.parse_string(text, append_middleware=[MonthIntMiddleware(allow_inplace_modification=True)])
    problems, cut_short = _stray_braces(library)
    # An entry whose key an earlier entry already has is still an entry: it is read, and de-duplication
    # decides whether it is the same work (it gets a key of its own if it is not).
    # (bibtexparser leaves such an entry raw: its values still braced, so it gets the same clean-up here.)
    clashing = [
        _cleaned(block.ignore_error_block, library)
        for block in library.failed_blocks
        if isinstance(block, model.DuplicateBlockKeyBlock) and id(block) not in cut_short
    ]
    problems += [
        ReadProblem(block.start_line + 1, str(block.error) or "not a well-formed entry (unbalanced braces or quotes?)")
        for block in library.failed_blocks
        if not isinstance(block, model.DuplicateBlockKeyBlock)
    ]
    records = []
    warnings = [
        ReadProblem(entry.start_line + 1, f"the key {entry.key!r} is used twice in the file", entry.key)
        for entry in clashing
    ]
    # Library.entries builds a new list at every call: read once (once per entry made 10,000 entries 13x slower).
    entries = [entry for entry in library.entries if id(entry) not in cut_short]
    by_key = {entry.key: entry for entry in entries}
    for entry in [*entries, *clashing]:
        fields, warning = _with_crossref(entry, by_key)
        if warning:
            warnings.append(ReadProblem(entry.start_line + 1, warning, entry.key))
        try:
            records.append(entry_to_record(entry, fields))
        except ValueError as error:  # e.g. a field too long to decode
            problems.append(ReadProblem(entry.start_line + 1, str(error), entry.key))
        except RecursionError:
            problems.append(ReadProblem(entry.start_line + 1, "braces nested too deeply to read", entry.key))
    problems.sort(key=lambda problem: problem.line or 0)
    return ParsedFile("bibtex", records, problems, warnings=warnings)


def _stray_braces(library: bibtexparser.Library) -> tuple[list[ReadProblem], set[int]]:
    """A stray "}" ends an entry early and bibtexparser files the rest of it as a comment, silently. The
    entry so cut short fails as a whole (writing its first half would lose the rest without a word); text
    of that kind after anything else fails on its own. Returns the problems and the ids of the cut blocks."""
    problems, cut_short = [], set()
    blocks = library.blocks
    for before, block in zip([None, *blocks], blocks, strict=False):
        if not (isinstance(block, model.ImplicitComment) and LEFTOVER_FIELD.search(_uncommented(block.comment))):
            continue
        leftover = block.comment.strip()[:60]
        cut = before.ignore_error_block if isinstance(before, model.DuplicateBlockKeyBlock) else before
        if isinstance(cut, model.Entry):
            cut_short.add(id(before))
            problems.append(
                ReadProblem(
                    cut.start_line + 1,
                    f"cut short by a stray `}}`: the fields from line {block.start_line + 1} on ({leftover!r}) fell "
                    "outside the entry, so the whole entry fails",
                    cut.key,
                )
            )
        else:
            problems.append(
                ReadProblem(block.start_line + 1, f"fields outside any entry (a stray brace?): {leftover!r}")
            )
    return problems, cut_short


def _uncommented(text: str) -> str:
    """The text without its %-comment lines (commented-out fields are not leftovers)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("%"))


def _cleaned(entry: model.Entry, library: bibtexparser.Library) -> model.Entry:
    for middleware in (
        RemoveEnclosingMiddleware(allow_inplace_modification=True),
        MonthIntMiddleware(allow_inplace_modification=True),
    ):
        entry = middleware.transform_block(entry, library)
    return entry


def read_bibtex(text: str) -> list[SourceRecord]:
    """All entries, or BibtexError naming every problem: for files that must be perfect (the demo data)."""
    parsed = parse_bibtex(text)
    if parsed.problems or parsed.warnings:
        raise BibtexError([str(problem) for problem in parsed.problems + parsed.warnings])
    return parsed.records


def _with_crossref(entry: model.Entry, entries: dict[str, model.Entry]) -> tuple[dict, str]:
    """The entry's fields, plus those it lacks from the entries it cross-references (a parent's title
    becoming the booktitle), following chains; a cycle or a missing parent is reported, not fatal."""
    fields = {field.key.lower(): field.value for field in entry.fields}
    seen = {entry.key.lower()}
    parent_key = fields.get("crossref")
    while isinstance(parent_key, str) and parent_key.strip():
        parent = entries.get(parent_key.strip())
        if parent is None:
            return fields, f"crossref {parent_key!r} is not in the file: read without it"
        if parent.key.lower() in seen:
            return fields, f"crossref cycle through {parent_key!r}: the chain was cut there"
        seen.add(parent.key.lower())
        inherited = {field.key.lower(): field.value for field in parent.fields}
        if "title" in inherited:
            inherited.setdefault("booktitle", inherited.pop("title"))
        for name, value in inherited.items():
            fields.setdefault(name, value)
        parent_key = inherited.get("crossref")
    return fields, ""


def entry_to_record(entry: model.Entry, fields: dict | None = None) -> SourceRecord:
    if fields is None:
        fields = {field.key.lower(): field.value for field in entry.fields}
    record = SourceRecord(key=entry.key, line=entry.start_line + 1)

    def decoded(name: str) -> str:
        changes = []
        text = decode_latex(fields.get(name, ""), changes)
        record.changes += [f"{name}: {change}" for change in changes]
        return text

    for name, attribute in TEXT_FIELDS.items():
        if isinstance(fields.get(name), str) and not getattr(record, attribute):
            setattr(record, attribute, decoded(name))
    for name, attribute in VERBATIM_FIELDS.items():
        if isinstance(fields.get(name), str):
            setattr(record, attribute, fields[name].replace(VERBATIM_BACKSLASH, "\\").strip())
    record.authors = read_names(fields.get("author", ""), record.changes)
    # "and others" is BibTeX's way to say the list is truncated, not a person.
    if record.authors and record.authors[-1] == PersonName("others"):
        record.authors, record.authors_truncated = record.authors[:-1], True
    record.year = _whole_number(fields.get("year"))
    record.month = fields.get("month") if isinstance(fields.get("month"), int) else None
    record.sample_size = _whole_number(fields.get("samplesize"))
    record.keywords = join_keywords(split_keywords(decoded("keywords")))
    record.entry_type = _entry_type(entry.entry_type.lower(), record.study_design)
    # Our own exports say which of our types a @misc or @article stands for.
    subtype = fields.get("entrysubtype")
    if isinstance(subtype, str) and subtype.strip() in EntryType.values:
        record.entry_type = subtype.strip()
    return record


def read_names(value: str, changes: list[str] | None = None) -> list[PersonName]:
    """Split an author field; a name wholly in braces, like {World Health Organization}, is an organisation.
    A LaTeX command kept as text is noted in `changes`."""
    notes: list[str] = []
    names = []
    for raw in split_multiple_persons_names(value) if value.strip() else []:
        raw = raw.strip()
        if raw.startswith("{") and raw.endswith("}") and _balanced(raw[1:-1]):
            names.append(PersonName(family=decode_latex(raw[1:-1], notes), is_organization=True))
            continue
        parts = parse_single_name_into_parts(raw, strict=False)
        family = decode_latex(" ".join(parts.von + parts.last), notes)
        given = decode_latex(" ".join(parts.first + parts.jr), notes)
        names.append(PersonName(family=family, given=given))
    if changes is not None:
        changes += [f"author: {note}" for note in notes]
    return names


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _whole_number(value) -> int | None:
    return int(value) if isinstance(value, str) and WHOLE_NUMBER.match(value.strip()) else None


def _entry_type(bibtex_type: str, study_design: str) -> str:
    entry_type = ENTRY_TYPES.get(bibtex_type, EntryType.ARTICLE)
    if entry_type == EntryType.ARTICLE and study_design in REVIEW_DESIGNS:
        return EntryType.REVIEW
    if entry_type == EntryType.WEBPAGE and study_design == StudyDesign.REGULATORY:
        return EntryType.REGULATORY
    return entry_type


# --- writing -----------------------------------------------------------------------------------------

# Our entry type -> (BibTeX type, the container field). Classic BibTeX has no @online or @dataset, so those
# are @misc; `entrysubtype` (a biblatex field BibTeX ignores) keeps our type for a round trip.
BIBTEX_TYPES = {
    "article": ("article", "journal"),
    "review": ("article", "journal"),
    "book": ("book", None),
    "chapter": ("incollection", "booktitle"),
    "report": ("techreport", None),
    "webpage": ("misc", None),
    "regulatory": ("misc", None),
    "dataset": ("misc", None),
}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
PAGE_RANGE_DASH = re.compile(r"\s*(?:--|[-–—])\s*")
ENTRIES_PER_CHUNK = 200


def write_bibtex(records: Iterable[SourceRecord], latex: bool = True) -> Iterator[str]:
    """BibTeX text in chunks (so large sets stream): every value escaped for classic 8-bit bibtex, or,
    with latex=False, UTF-8 with only the characters special to BibTeX escaped (for biber/biblatex)."""
    chunk: list[model.Entry] = []
    for record in records:
        chunk.append(record_to_entry(record, latex))
        if len(chunk) == ENTRIES_PER_CHUNK:
            yield _written(chunk)
            chunk = []
    if chunk:
        yield _written(chunk)


def _written(entries: list[model.Entry]) -> str:
    # Values are escaped and braced here, so the writer needs none of its (deep-copying) middleware.
    text = bibtexparser.write_string(bibtexparser.Library(entries), unparse_stack=[])
    return text.strip() + "\n\n"


def record_to_entry(record: SourceRecord, latex: bool = True) -> model.Entry:
    encode = encode_latex if latex else escape_specials
    bibtex_type, container_field = BIBTEX_TYPES.get(record.entry_type, ("misc", None))
    authors = [_bibtex_name(name, encode) for name in record.authors]
    values: dict[str, str] = {
        "author": " and ".join(authors + (["others"] if record.authors_truncated and authors else [])),
        "title": protect_case(record.title, encode),
        "year": str(record.year or ""),
        "month": MONTHS[record.month - 1] if record.month else "",
        container_field or "": encode(record.container_title) if container_field else "",
        "shortjournal": encode(record.journal_abbreviation) if container_field == "journal" else "",
        "volume": encode(record.volume),
        "number": encode(record.issue),
        "pages": "--".join(encode(part) for part in PAGE_RANGE_DASH.split(record.pages.strip(), maxsplit=1)),
        "publisher" if bibtex_type != "techreport" else "institution": encode(record.publisher),
        "address": encode(record.place),
        "type": encode(record.report_type),
        "booktitle" if not container_field else "": encode(record.container_title) if not container_field else "",
        "howpublished": encode(record.howpublished),
        "doi": _verbatim(record.doi),
        "pmid": _verbatim(record.pmid),
        "pmcid": _verbatim(record.pmcid),
        "url": _verbatim(record.url),
        "abstract": encode(record.abstract),
        "keywords": encode(written_keywords(record.keywords)),
        "entrysubtype": record.entry_type
        if bibtex_type in ("misc", "article") and record.entry_type != EntryType.ARTICLE
        else "",
        "studydesign": _verbatim(record.study_design),
        "population": _verbatim(record.population),
        "samplesize": str(record.sample_size) if record.sample_size is not None else "",
        "samplesizeunit": encode(record.sample_size_unit),
        "annote": encode(record.summary),
        "provenance": _verbatim(record.provenance),
        "note": encode(record.retraction),  # styles print it: a citation of a retracted paper says so
    }
    values.pop("", None)
    fields = [model.Field(name, "{" + value + "}") for name, value in values.items() if value]
    if record.month:  # a month macro, not a string: styles print it in their own language
        fields = [model.Field(f.key, values["month"]) if f.key == "month" else f for f in fields]
    return model.Entry(bibtex_type, record.key, fields)


def _bibtex_name(name: PersonName, encode) -> str:
    family = encode(name.family)
    if name.is_organization:  # braced whole, so that bibtex reads no given name or "von" part into it
        return "{" + family + "}"
    if "," in name.family or (not name.given and " " in name.family.strip()):
        # A family name bibtex would split ("Hunt, III", "project team"): braced, with a given name
        # ({} when there is none) so that the whole is not read as an organisation.
        return "{" + family + "}, " + (encode(name.given) or "{}")
    return f"{family}, {encode(name.given)}" if name.given else family


def protect_case(title: str, encode=encode_latex) -> str:
    """The title escaped, with every word that keeps its capitals (case.py: names, acronyms, 7-OH)
    braced, so that no style lowers it."""
    out, position = [], 0
    for start, end in protected_spans(title):
        out += [encode(title[position:start]), "{", encode(title[start:end]), "}"]
        position = end
    return "".join([*out, encode(title[position:])])


def _verbatim(value: str) -> str:
    """Identifiers, URLs and provenance go through unchanged except for what would break the field
    (braces) or carry a TeX command (\\input, \\write18 …): a backslash is written as \\textbackslash{}."""
    if not value:
        return ""
    return value.replace("{", "%7B").replace("}", "%7D").replace("\\", VERBATIM_BACKSLASH).replace("\n", " ").strip()
