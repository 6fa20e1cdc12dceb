"""The sources list's filters, in one FilterSet the page, its facets and (later) the exports share."""

from __future__ import annotations

from dataclasses import dataclass, field

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.html import format_html, format_html_join

from . import claim_status, search
from .models import AdverseEffect, AdverseEffectReport, Article, Claim, Compound, Evidence, Source
from .query import spelling
from .query.thesaurus import Query, understand
from .support import Status
from .vocabularies import (
    SUPPORTING_STANCES,
    SYSTEM_ORGAN_CLASS_CHOICES,
    ClaimCategory,
    CurationStatus,
    Population,
    ReportGroup,
    RetractionStatus,
    StudyDesign,
)

SORTS = {
    "relevance": "relevance",
    "newest": "newest first",
    "oldest": "oldest first",
    "author": "first author",
    "title": "title",
}


class SourceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Search")
    # Filters on many-valued relations select by `pk__in` subqueries rather than joins, so results need
    # no DISTINCT (which made the database compare whole rows, abstracts included: 4 s at 100,000 sources);
    # for the same reason the one-column choice filters turn off django-filter's default `distinct=True`.
    compound = django_filters.ModelMultipleChoiceFilter(
        to_field_name="slug", queryset=Compound.objects.all(), method="filter_compound", label="Compound"
    )
    design = django_filters.MultipleChoiceFilter(
        field_name="study_design", choices=StudyDesign.choices, label="Study design", distinct=False
    )
    population = django_filters.MultipleChoiceFilter(choices=Population.choices, label="Population", distinct=False)
    year_from = django_filters.NumberFilter(field_name="year", lookup_expr="gte", label="From year")
    year_to = django_filters.NumberFilter(field_name="year", lookup_expr="lte", label="To year")
    retraction = django_filters.MultipleChoiceFilter(
        field_name="retraction_status", choices=RetractionStatus.choices, label="Retraction status", distinct=False
    )
    adverse_effect = django_filters.ModelMultipleChoiceFilter(
        to_field_name="term",
        queryset=AdverseEffect.objects.all(),
        method="filter_adverse_effect",
        label="Adverse effect reported",
    )
    organ_class = django_filters.MultipleChoiceFilter(
        choices=SYSTEM_ORGAN_CLASS_CHOICES, method="filter_reported_harm", label="Adverse effects in"
    )
    # Narrows `organ_class` to reports about one compound: the adverse-effects chart's cells link with both.
    reported_with = django_filters.ModelChoiceFilter(
        to_field_name="slug", queryset=Compound.objects.all(), method="filter_reported_harm", label="Reported with"
    )
    # And to human reports or to animal and in vitro toxicity, as the adverse-effects page separates them.
    reported_in = django_filters.ChoiceFilter(
        choices=ReportGroup.choices, method="filter_reported_harm", label="Reported in"
    )
    supports_category = django_filters.MultipleChoiceFilter(
        choices=ClaimCategory.choices, method="filter_supports_category", label="Supports claims about"
    )
    curation = django_filters.MultipleChoiceFilter(
        field_name="curation_status", choices=CurationStatus.choices, label="Curation status", distinct=False
    )

    class Meta:
        model = Source
        fields: list[str] = []

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search.search(queryset, value) if value.strip() else queryset

    def filter_compound(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        studied = Source.compounds.through.objects.filter(compound__in=value).values("source")
        return queryset.filter(pk__in=studied)

    def filter_adverse_effect(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(pk__in=AdverseEffectReport.objects.filter(effect__in=value).values("source"))

    def filter_reported_harm(self, queryset: QuerySet, name: str, value) -> QuerySet:
        """Sources with a report matching both organ class and compound in one report, not in two different ones."""
        organ_classes = self.form.cleaned_data.get("organ_class")
        compound = self.form.cleaned_data.get("reported_with")
        group = self.form.cleaned_data.get("reported_in")
        reports = AdverseEffectReport.objects.in_group(group) if group else AdverseEffectReport.objects.all()
        if organ_classes:
            reports = reports.filter(effect__system_organ_class__in=organ_classes)
        if compound:
            reports = reports.filter(compound=compound)
        return queryset.filter(pk__in=reports.values("source"))

    def filter_supports_category(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        supporting = Q(evidence__stance__in=SUPPORTING_STANCES, evidence__claim__category__in=value)
        return queryset.filter(pk__in=Source.objects.filter(supporting).values("pk"))


SORT_ORDER = {
    "newest": ["-year", "key"],
    "oldest": ["year", "key"],
    "author": ["author_names", "key"],
    "title": ["title", "key"],
}


@dataclass(frozen=True)
class SourceSearch:
    filterset: SourceFilter
    results: QuerySet  # in the order asked for; empty when a filter value is invalid
    sort: str
    errors: list[str]
    searching: bool
    # The same rows unordered and unranked, to count: SQLite planned the count through the ranking's
    # join to the FTS table badly (3 s instead of 0.05 s at 100,000 sources).
    matches: QuerySet
    data: QueryDict  # the parameters searched with: the request's, with a misspelt query corrected
    correction: spelling.Correction | None
    understood: Query
    # The listing's querysets by the filters they keep (evidence/listing.py), made once a request: each
    # FilterSet validates its chosen compounds and effects with a query of its own.
    filtered: dict[str, QuerySet] = field(default_factory=dict, compare=False, repr=False)

    @property
    def valid(self) -> bool:
        return not self.filterset.errors


def find_sources(data: QueryDict) -> SourceSearch:
    """The sources a search asks for, in its order: what the list page shows and the export downloads.

    A query word that matches nothing is corrected first (evidence.query.spelling), unless `verbatim` is set.
    """
    correction = None if data.get("verbatim") else spelling.correct(search.clean_query(data.get("q", "")))
    if correction:
        data = data.copy()
        data["q"] = correction.corrected
    understood = understand(data.get("q", ""))
    filterset = SourceFilter(data, queryset=Source.objects.public())
    searching = bool(search.clean_query(data.get("q", "")))
    sort, sort_error = chosen_sort(data.get("sort", ""), searching)
    errors = error_messages(filterset) + ([sort_error] if sort_error else [])
    if filterset.errors:
        nothing = Source.objects.none()
        return SourceSearch(filterset, nothing, sort, errors, searching, nothing, data, correction, understood)
    matches = filterset.qs
    results = (
        search.by_relevance(matches, data.get("q", "")) if sort == "relevance" else matches.order_by(*SORT_ORDER[sort])
    )
    return SourceSearch(filterset, results, sort, errors, searching, matches, data, correction, understood)


# Facet name -> how its values are labelled (compounds and adverse effects are named by their own value
# or from the database), in the order the page lists them.
FACETS = {
    "compound": None,
    "design": dict(StudyDesign.choices),
    "population": dict(Population.choices),
    "retraction": dict(RetractionStatus.choices),
    "adverse_effect": None,
    "organ_class": None,
    "supports_category": dict(ClaimCategory.choices),
    "curation": dict(CurationStatus.choices),
}


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    toggle_url: str


# Facets that are columns of the source itself (name -> column): counted together, in one query.
COLUMN_FACETS = {
    "design": "study_design",
    "population": "population",
    "retraction": "retraction_status",
    "curation": "curation_status",
}


def facet_values(
    data: QueryDict, counted: dict[str, dict[str, int]], compound_names: dict[str, str]
) -> dict[str, list[FacetValue]]:
    """For each facet, how many results each value would give with every other filter kept.

    `counted` holds, per facet, the counts evidence/listing.py made in the one statement that also counts
    and pages the search: a facet through a relation counted from the relation's side, the column facets
    split from one grouped count (`split_column_counts`).
    """
    facets = {}
    for name in FACETS:
        counts, chosen = dict(counted.get(name, {})), data.getlist(name)
        labels = (compound_names if name == "compound" else FACETS[name]) or {}
        # A chosen value stays listed even when nothing matches any more, so that it can be unticked.
        counts.update({value: 0 for value in chosen if value not in counts})
        facets[name] = [
            FacetValue(value, labels.get(value, value), n, value in chosen, toggle_url(data, name, value))
            for value, n in counts.items()
        ]
    return facets


def without_facets(data: QueryDict, names) -> QueryDict:
    others = data.copy()
    for name in [*names, "page"]:
        others.pop(name, None)
    return others


# Facets through a relation: the related rows (each with a `source`) counted per value, among the sources
# that pass every other filter. Counting from the relation's side lets the database skip the join back
# to the sources table's wide rows (the "supports claims about" facet: 1.1 s -> 0.3 s at 500,000 links).
RELATED_FACETS = {
    "compound": (Source.compounds.through.objects, "compound__slug"),
    "adverse_effect": (AdverseEffectReport.objects, "effect__term"),
    "organ_class": (AdverseEffectReport.objects, "effect__system_organ_class"),
    "supports_category": (Evidence.objects.filter(stance__in=SUPPORTING_STANCES), "claim__category"),
}


def split_column_counts(cells: list[tuple[tuple, int]], data: QueryDict) -> dict[str, dict[str, int]]:
    """The column facets' counts from one grouped count of the sources that pass every other filter: each
    combination of their columns (in COLUMN_FACETS' order) with its number of sources, a few hundred at
    most. A column facet's counts are the combinations that also pass the other column facets' choices."""
    chosen = {name: set(data.getlist(name)) for name in COLUMN_FACETS}
    positions = {name: index for index, name in enumerate(COLUMN_FACETS)}
    counted: dict[str, dict[str, int]] = {}
    for name in COLUMN_FACETS:
        counts: dict[str, int] = {}
        for values, n in cells:
            kept = all(
                values[positions[other]] in chosen[other] for other in COLUMN_FACETS if other != name and chosen[other]
            )
            value = values[positions[name]]
            if kept and value:
                counts[value] = counts.get(value, 0) + n
        counted[name] = in_order(counts.items())
    return counted


def in_order(counted) -> dict[str, int]:
    """A facet's values as the page lists them: most sources first, then by value; none without sources."""
    return dict(sorted(((value, n) for value, n in counted if n > 0), key=lambda item: (-item[1], item[0])))


def toggle_url(data: QueryDict, name: str, value: str) -> str:
    """The query string with one value of one filter switched on or off (back to page 1)."""
    params = data.copy()
    params.pop("page", None)
    values = params.getlist(name)
    params.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    return "?" + params.urlencode()


def without(data: QueryDict, name: str) -> str:
    params = data.copy()
    params.pop(name, None)
    params.pop("page", None)
    return "?" + params.urlencode()


def chosen_sort(requested: str, searching: bool) -> tuple[str, str]:
    """The sort to use and, when the requested one cannot be honoured, why (relevance needs a search)."""
    if not requested:
        return ("relevance" if searching else "newest"), ""
    if requested not in SORTS:
        return "newest", f"There is no sort called “{requested}”: sorted newest first instead."
    if requested == "relevance" and not searching:
        return "newest", ""
    return requested, ""


def error_messages(filterset: django_filters.FilterSet) -> list[str]:
    return [
        f"{filterset.filters[name].label if name in filterset.filters else 'Search'}: {' '.join(messages)}"
        for name, messages in filterset.errors.items()
    ]


def active_filters(
    data: QueryDict, facets: dict[str, list[FacetValue]], compound_names: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(filter label, value label, URL without it) for every filter in force, so each can be removed."""
    # A value is named by its own filter: "kratom" typed in the search box is not the compound "kratom".
    labels = {(name, slug): label for name in ("compound", "reported_with") for slug, label in compound_names.items()}
    labels.update({(name, value): label for name, named in FACETS.items() for value, label in (named or {}).items()})
    labels.update({("reported_in", value): label for value, label in ReportGroup.choices})
    labels.update({(name, f.value): f.label for name, values in facets.items() for f in values})
    active = []
    for name, filter_ in SourceFilter.base_filters.items():
        for value in data.getlist(name):
            if not value.strip():
                continue
            url = toggle_url(data, name, value) if name in FACETS else without(data, name)
            active.append((str(filter_.label), labels.get((name, value), value), url))
    return active


class PlainSelect(forms.Select):
    """A <select> whose options are written in Python: Django renders each option through a template, which
    took 40 ms of a statements page for 200 articles."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], " selected" if option["selected"] else "", option["label"])
                for _, group, _ in widget["optgroups"]
                for option in group
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), options)


class ClaimFilter(django_filters.FilterSet):
    # Tick boxes, not multiple selects: they need no Ctrl-click and read well with a screen reader.
    status = django_filters.MultipleChoiceFilter(
        choices=[(status.value, status.label) for status in Status],
        method="filter_status",
        label="Status",
        widget=forms.CheckboxSelectMultiple,
    )
    category = django_filters.MultipleChoiceFilter(
        choices=ClaimCategory.choices, label="Category", widget=forms.CheckboxSelectMultiple
    )
    compound = django_filters.ModelMultipleChoiceFilter(
        field_name="compounds__slug",
        to_field_name="slug",
        queryset=Compound.objects.all(),
        label="Compound",
        widget=forms.CheckboxSelectMultiple,
    )
    article = django_filters.ModelChoiceFilter(
        to_field_name="slug",
        queryset=Article.objects.only("slug", "title"),
        label="Article",
        empty_label="All articles",
        widget=PlainSelect,
    )

    class Meta:
        model = Claim
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        # The stored status (evidence/claim_status.py): filtered in the database like any column, after this
        # transaction's own writes are recomputed.
        if not value:
            return queryset
        claim_status.flush()
        return queryset.filter(stored_status__status__in=value)
