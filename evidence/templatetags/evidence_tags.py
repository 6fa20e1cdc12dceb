from urllib.parse import quote, urlsplit

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from evidence import wording
from evidence.bibliography import embedded
from evidence.bibliography.sources import record_from_source
from evidence.models import url_with
from evidence.support import Status
from evidence.vocabularies import CurationStatus, RetractionStatus, Stance, StudyDesign

register = template.Library()

# Each status has an icon and a word as well as a colour, so it reads without colour vision.
STATUS_ICONS = {
    Status.SUPPORTED: "✔",
    Status.WEAK: "◐",
    Status.CONTESTED: "⇄",
    Status.CONTRADICTED: "✖",
    Status.UNSUPPORTED: "?",
    Status.NOT_CHECKABLE: "–",
    Status.MIXED: "±",
}


@register.filter
def status_icon(status: Status) -> str:
    return STATUS_ICONS[Status(status)]


@register.filter
def status_badge(status: Status) -> str:
    """A status as icon and word (a filter, not an included template: the review page shows 3,000 of them)."""
    status = Status(status)
    return format_html(
        '<span class="badge badge--{}"><span aria-hidden="true">{}</span> {}</span>',
        status.value,
        STATUS_ICONS[status],
        status.label,
    )


@register.filter
def counted(number: int, noun: str) -> str:
    """`{{ n|counted:"source" }}` → `1 source`, `12 sources`; `"case series|case series"` gives an irregular plural."""
    singular, _, plural = noun.partition("|")
    return wording.count(number, singular, plural or None)


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


# Stances in the evidence map carry a symbol as well as a colour.
STANCE_SYMBOLS = {Stance.SUPPORTS: "✔", Stance.PARTIALLY_SUPPORTS: "◐", Stance.CONTRADICTS: "✖", Stance.MENTIONS: "·"}


@register.filter
def stance_symbol(stance: str) -> str:
    return STANCE_SYMBOLS.get(stance, "")


@register.filter
def stance_label(stance: str) -> str:
    return Stance(stance).label


# The evidence map's cells, one per stance (None: no link), made once: a page of the map has 3,000 of them.
MAP_CELLS = {None: '<td class="cell"></td>'} | {
    stance: format_html(
        '<td class="cell cell--{}"><span aria-hidden="true">{}</span><span class="visually-hidden">{}</span></td>',
        stance,
        STANCE_SYMBOLS.get(stance, ""),
        label,
    )
    for stance, label in Stance.choices
}


@register.filter
def stance_cells(stances: list[str | None]) -> str:
    """A row of the evidence map: one cell per statement, its stance as symbol and (for screen readers) word."""
    return mark_safe("".join(MAP_CELLS[stance] for stance in stances))


@register.filter
def design_label(design: str) -> str:
    return DESIGN_LABELS.get(design) or "not recorded"


# Design names by value (get_study_design_display() rebuilds the choices dict at every call).
DESIGN_LABELS = dict(StudyDesign.choices)


@register.filter
def web_url(url: str) -> str:
    """The URL if it is http(s), else "": a `javascript:` (or any other scheme) is never made a link,
    whatever got it into the database. Templates autoescape text but not a URL's scheme."""
    return url if urlsplit(url or "").scheme.lower() in ("http", "https") else ""


def retraction_flag(source) -> str:
    """What a review page's row says of a retracted, corrected or concerned source: status, date and notice
    (its reasons are on the source's page)."""
    if source.retraction_status == RetractionStatus.NONE:
        return ""
    status = RetractionStatus(source.retraction_status)
    date = f" {source.retraction_date:%Y-%m-%d}" if source.retraction_date else ""
    notice = ""
    if source.retraction_notice:
        notice = format_html(' <a href="https://doi.org/{}">notice</a>', quote(source.retraction_notice, safe="/"))
    kind = "retracted" if status == RetractionStatus.RETRACTED else "tag tag--warning"
    return format_html(' <strong class="{}">{}{}</strong>{}', kind, status.label, date, notice)


@register.filter
def evidence_row(evidence) -> str:
    """One row of a review page's evidence table: source (retracted? draft?), design, n, stance, finding.
    Written here rather than in the template: the page has 5,000 of them, and the template engine's
    lookups took a fifth of its time."""
    source = evidence.source
    draft = evidence.curation_status == CurationStatus.DRAFT
    flags = format_html(
        "{}{}",
        retraction_flag(source),
        mark_safe(' <span class="tag">draft: not counted</span>') if draft else "",
    )
    return format_html(
        '<tr><th scope="row"><a href="{}">{}</a>{}</th><td>{}</td><td>{}</td>'
        '<td class="stance stance--{}">{}</td><td>{}</td></tr>',
        source.get_absolute_url(),
        source.key,
        flags,
        design_label(source.study_design),
        "–" if source.sample_size is None else source.sample_size,
        evidence.stance,
        stance_label(evidence.stance),
        evidence.finding,
    )


@register.filter
def statement_line(statement, drafts: str = "") -> str:
    """One statement of the review page, folded: its number, status and text as a link to its reasons and
    evidence (which the page's script fetches into place), its certainty, and for an unsupported statement
    whether sources wait for a curator. Written here for the same reason as evidence_row (1,000 of them), in
    as few bytes as will do (a <b> for the number, a <small> for the notes): the page of a 1,000-statement
    article stays under 500 kB."""
    claim, status = statement.claim, statement.status
    certainty = statement.assessment.certainty
    return format_html(
        '<div class="stmt-block stmt-block--{}" id="claim-{}"><a href="{}{}"><b>{}</b> {} '
        '<span class="stmt">{}</span></a>{}{}</div>',
        status.value,
        claim.pk,
        url_with("evidence:claim-evidence", claim.pk),
        drafts,
        statement.number,
        status_badge(status),
        claim.text,
        format_html(" <small>certainty {}</small>", certainty) if certainty else "",
        _candidates_note(statement),
    )


def _candidates_note(statement) -> str:
    """ "Not yet reviewed: 4 candidate sources" or "No evidence found in the base" for an unsupported statement
    that evidence matching has looked at; nothing otherwise."""
    if statement.candidates is None:
        return ""
    if not statement.candidates:
        return mark_safe(" <small>No evidence found in the base.</small>")
    found = wording.count(len(statement.candidates), "candidate source")
    return format_html(" <small>Not yet reviewed: {}.</small>", found)


@register.filter
def zip_with(first, second) -> list[tuple]:
    """`{% for a, b in xs|zip_with:ys %}`: the two lists side by side."""
    return list(zip(first, second, strict=True))


@register.filter
def coins(source) -> str:
    """A source's COinS (OpenURL) for the title of a <span class="Z3988">, from its public record."""
    return embedded.coins(record_from_source(source))
