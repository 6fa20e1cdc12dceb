"""BibTeX -> SourceRecord, with bibtexparser 2 doing the parsing and our code closing its traps."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import bibtexparser
from bibtexparser import model
from bibtexparser.middlewares import MonthIntMiddleware, RemoveEnclosingMiddleware
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names

from ..vocabularies import EntryType, StudyDesign
from .latex import decode_latex, encode_latex
from .records import ParsedFile, PersonName, ReadProblem, SourceRecord

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
    "booktitle": "container_title",
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
    record.year = _whole_number(fields.get("year"))
    record.month = fields.get("month") if isinstance(fields.get("month"), int) else None
    record.sample_size = _whole_number(fields.get("samplesize"))
    record.keywords = "; ".join(
        word.strip() for word in decoded("keywords").replace(";", ",").split(",") if word.strip()
    )
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
# Words with a capital after their first letter (DNA, McCurdy, 7-OH) keep their case in every style.
CASE_PROTECTED = re.compile(r"\b(\w*[A-Z]\w*)\b")
# A quick test that can say "maybe" but never misses such a word: a letter that is not lower-case ASCII
# inside a word, or a word of a digit then a letter.
MAY_NEED_PROTECTION = re.compile(r"\B[^\W\d_a-z]|\b\d\w*[^\W\d]")
ENTRIES_PER_CHUNK = 200


def write_bibtex(records: Iterable[SourceRecord]) -> Iterator[str]:
    """BibTeX text in chunks (so large sets stream), every value escaped for classic 8-bit bibtex."""
    chunk: list[model.Entry] = []
    for record in records:
        chunk.append(record_to_entry(record))
        if len(chunk) == ENTRIES_PER_CHUNK:
            yield _written(chunk)
            chunk = []
    if chunk:
        yield _written(chunk)


def _written(entries: list[model.Entry]) -> str:
    # Values are escaped and braced here, so the writer needs none of its (deep-copying) middleware.
    text = bibtexparser.write_string(bibtexparser.Library(entries), unparse_stack=[])
    return text.strip() + "\n\n"


def record_to_entry(record: SourceRecord) -> model.Entry:
    bibtex_type, container_field = BIBTEX_TYPES.get(record.entry_type, ("misc", None))
    values: dict[str, str] = {
        "author": " and ".join(_bibtex_name(name) for name in record.authors),
        "title": _protect_case(encode_latex(record.title)),
        "year": str(record.year or ""),
        "month": MONTHS[record.month - 1] if record.month else "",
        container_field or "": encode_latex(record.container_title) if container_field else "",
        "volume": encode_latex(record.volume),
        "number": encode_latex(record.issue),
        "pages": encode_latex(record.pages).replace("-", "--")
        if "--" not in record.pages
        else encode_latex(record.pages),
        "publisher" if bibtex_type != "techreport" else "institution": encode_latex(record.publisher),
        "address": encode_latex(record.place),
        "type": encode_latex(record.report_type),
        "howpublished": encode_latex(record.howpublished or (record.container_title if not container_field else "")),
        "doi": _verbatim(record.doi),
        "pmid": _verbatim(record.pmid),
        "pmcid": _verbatim(record.pmcid),
        "url": _verbatim(record.url),
        "abstract": encode_latex(record.abstract),
        "keywords": encode_latex(", ".join(k.strip() for k in record.keywords.split(";") if k.strip())),
        "entrysubtype": record.entry_type
        if bibtex_type in ("misc", "article") and record.entry_type != EntryType.ARTICLE
        else "",
        "studydesign": _verbatim(record.study_design),
        "population": _verbatim(record.population),
        "samplesize": str(record.sample_size) if record.sample_size is not None else "",
        "samplesizeunit": encode_latex(record.sample_size_unit),
        "annote": encode_latex(record.summary),
        "provenance": _verbatim(record.provenance),
    }
    values.pop("", None)
    fields = [model.Field(name, "{" + value + "}") for name, value in values.items() if value]
    if record.month:  # a month macro, not a string: styles print it in their own language
        fields = [model.Field(f.key, values["month"]) if f.key == "month" else f for f in fields]
    return model.Entry(bibtex_type, record.key, fields)


def _bibtex_name(name: PersonName) -> str:
    family = encode_latex(name.family)
    if name.is_organization or not name.given:
        return "{" + family + "}" if name.is_organization else family
    return f"{family}, {encode_latex(name.given)}"


def _protect_case(title: str) -> str:
    if not MAY_NEED_PROTECTION.search(title):  # most titles: capitals only at the start of words
        return title
    return CASE_PROTECTED.sub(
        lambda match: "{" + match.group(1) + "}" if _needs_protection(match.group(1)) else match.group(1), title
    )


def _needs_protection(word: str) -> bool:
    return any(char.isupper() for char in word[1:]) or (len(word) > 1 and word[0].isdigit() and not word.isdigit())


def _verbatim(value: str) -> str:
    """Identifiers, URLs and provenance go through unchanged except for what would break the field
    (braces) or carry a TeX command (\\input, \\write18 …): a backslash is written as \\textbackslash{}."""
    if not value:
        return ""
    return value.replace("{", "%7B").replace("}", "%7D").replace("\\", VERBATIM_BACKSLASH).replace("\n", " ").strip()
