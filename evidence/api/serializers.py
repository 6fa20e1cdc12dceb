"""What the API returns and accepts: the fields the pages show, statuses from `reports`, writes checked by
the model's own `full_clean()`."""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from .. import claim_status, reports
from ..bibliography.formats import EXPORT_FORMATS
from ..bibliography.importer import Action
from ..grade import CERTAINTY, Judgment, Rating
from ..models import (
    AdverseEffect,
    AdverseEffectReport,
    Article,
    Author,
    Claim,
    Compound,
    Evidence,
    Source,
    url_with,
)
from ..support import Status
from ..vocabularies import GradeDomain, ScreeningStatus, UpgradeKind
from .permissions import sees_every_source


class FullCleanSerializer(serializers.ModelSerializer):
    """Validates a write as the admin does: the model's `full_clean()` (its `clean()`, field validators and
    constraints) on the record as it would be saved; each message names its field."""

    def validate(self, attrs: dict) -> dict:
        many = {field.name for field in self.Meta.model._meta.many_to_many}
        candidate = copy.copy(self.instance) if self.instance else self.Meta.model()
        for name, value in attrs.items():
            if name not in many:
                setattr(candidate, name, value)
        try:
            candidate.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return attrs


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "family", "given", "is_organization"]


class CompoundSerializer(serializers.ModelSerializer):
    synonyms = serializers.ListField(child=serializers.CharField(), source="synonym_list", read_only=True)

    class Meta:
        model = Compound
        fields = ["slug", "name", "synonyms", "pubchem_cid", "description"]


def absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


class SourceSerializer(FullCleanSerializer):
    authors = serializers.SerializerMethodField()
    compounds = serializers.SlugRelatedField(
        slug_field="slug", queryset=Compound.objects.all(), many=True, required=False
    )
    screening_status = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = [
            "key", "entry_type", "title", "authors", "year", "month", "container_title", "volume", "issue",
            "pages", "publisher", "place", "report_type", "howpublished", "doi", "pmid", "pmcid", "url",
            "abstract", "summary", "keywords", "study_design", "population", "sample_size", "sample_size_unit",
            "compounds", "retraction_status", "retraction_date", "retraction_reason", "retraction_notice",
            "curation_status", "screening_status", "provenance", "version", "created_at",
            "updated_at", "links",
        ]  # fmt: skip
        read_only_fields = ["version", "created_at", "updated_at"]
        extra_kwargs = {"key": {"required": False}}

    @extend_schema_field(AuthorSerializer(many=True))
    def get_authors(self, source: Source) -> list[dict]:
        return AuthorSerializer(source.ordered_authors, many=True).data

    @extend_schema_field(
        serializers.ChoiceField(
            choices=ScreeningStatus.values,
            allow_null=True,
            help_text="Curators only (a token with the `view source` permission): where the record stands in "
            "screening. Null for everyone else, who only ever reads included sources.",
        )
    )
    def get_screening_status(self, source: Source) -> str | None:
        return source.screening_status if sees_every_source(self.context.get("request")) else None

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_links(self, source: Source) -> dict:
        """The API record, the page, and the download of this source in every export format."""
        request = self.context.get("request")
        page = absolute(request, source.get_absolute_url())
        # The downloads sit beside the page (sources/<key>/export.<format>): no reverse() per format and
        # source, which took a third of a list's time.
        links = {"self": absolute(request, url_with("api:source-detail", source.key)), "page": page}
        links.update({fmt: f"{page}export.{fmt}" for fmt in EXPORT_FORMATS})
        return links


class LinkedStatementSerializer(serializers.Serializer):
    """A statement a source bears on, as its page lists it: the source's stance and the statement's status."""

    claim = serializers.IntegerField(source="link.claim_id")
    text = serializers.CharField(source="link.claim.text")
    article = serializers.CharField(source="link.claim.article.slug", allow_null=True, default=None)
    stance = serializers.CharField(source="link.stance")
    finding = serializers.CharField(source="link.finding")
    status = serializers.CharField(source="statement.status.value")
    certainty = serializers.CharField(source="statement.assessment.certainty", allow_null=True)


class HarmSerializer(serializers.ModelSerializer):
    effect = serializers.CharField(source="effect.term")
    compound = serializers.CharField(source="compound.slug")

    class Meta:
        model = AdverseEffectReport
        fields = ["id", "effect", "compound", "cases", "frequency", "severity", "setting", "causality"]


class SourceDetailSerializer(SourceSerializer):
    statements = serializers.SerializerMethodField()
    adverse_effects = HarmSerializer(source="adverse_effect_reports", many=True, read_only=True)

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "statements", "adverse_effects"]

    @extend_schema_field(LinkedStatementSerializer(many=True))
    def get_statements(self, source: Source) -> list[dict]:
        # As on the source's page: every linked statement's stored status, a fixed number of queries.
        linked = claim_status.linked_statements(Evidence.objects.filter(source=source))
        rows = [{"link": link, "statement": statement} for link, statement in linked]
        return LinkedStatementSerializer(rows, many=True).data


class EvidenceSerializer(FullCleanSerializer):
    source = serializers.SlugRelatedField(slug_field="key", queryset=Source.objects.all())

    class Meta:
        model = Evidence
        fields = ["id", "claim", "source", "stance", "finding", "locator", "quote", "curation_status", "version"]
        read_only_fields = ["version"]


JUDGMENTS = [judgment.value for judgment in Judgment]  # named once in the schema (settings.ENUM_NAME_OVERRIDES)


class OverrideSerializer(serializers.Serializer):
    judgment = serializers.CharField(source="judgment.value")
    reason = serializers.CharField()


class DomainSerializer(serializers.Serializer):
    """One GRADE domain as the claim page lists it: the judgment, why, and a curator's override if any."""

    domain = serializers.ChoiceField(choices=GradeDomain.values, source="domain.value")
    label = serializers.CharField(source="domain.label")
    judgment = serializers.ChoiceField(choices=JUDGMENTS, source="judgment.value")
    rated_down = serializers.IntegerField(source="judgment.steps", help_text="Levels this domain takes off.")
    reason = serializers.CharField(help_text="Why the domain was judged so (the computed judgment's reason).")
    computed = serializers.ChoiceField(choices=JUDGMENTS, source="computed.value")
    override = OverrideSerializer(allow_null=True)


class UpgradeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=UpgradeKind.values)
    label = serializers.CharField()
    reason = serializers.CharField()
    rated_up = serializers.IntegerField(help_text="Levels it gave: 0 on a body that starts high.")


class GradeSerializer(serializers.Serializer):
    """GRADE's rating (evidence/grade.py): where the body starts, the five domains, upgrades, the result."""

    certainty = serializers.ChoiceField(choices=CERTAINTY)
    symbols = serializers.CharField(help_text="GRADE's ⊕⊕◯◯ for low.")
    starts_at = serializers.SerializerMethodField()
    start_reason = serializers.CharField()
    domains = DomainSerializer(many=True)
    upgrades = serializers.SerializerMethodField()
    summary = serializers.CharField(source="reason")

    @extend_schema_field(serializers.ChoiceField(choices=CERTAINTY))
    def get_starts_at(self, rating: Rating) -> str:
        return CERTAINTY[rating.start]

    @extend_schema_field(UpgradeSerializer(many=True))
    def get_upgrades(self, rating: Rating) -> list[dict]:
        # Plain rows, no serializer per rating: an article's 1,000 statements each have a rating.
        return [
            {"kind": u.kind, "label": str(UpgradeKind(u.kind).label), "reason": u.reason, "rated_up": steps}
            for u, steps in rating.upgrades
        ]


class PartAssessmentSerializer(serializers.Serializer):
    """One part of a split statement, assessed from its own links, as the claim page shows it."""

    number = serializers.CharField()
    kind = serializers.CharField(source="part.kind")
    text = serializers.CharField(source="part.text")
    status = serializers.CharField(source="status.value")
    certainty = serializers.CharField(source="assessment.certainty", allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField(), source="assessment.reasons")
    grade = GradeSerializer(source="assessment.rating", allow_null=True)


class FoldedAssessmentSerializer(serializers.Serializer):
    """What a statement's folded line on the review page says: status, certainty and how many links (one
    serializer for a whole list: binding one per statement took a third of an article's time)."""

    status = serializers.ChoiceField(choices=[status.value for status in Status], source="status.value")
    flagged = serializers.BooleanField()
    certainty = serializers.CharField(source="assessment.certainty", allow_null=True)
    links = serializers.IntegerField(help_text="How many evidence links the statement has.")


class AssessmentSerializer(FoldedAssessmentSerializer):
    """A statement's status, certainty and reasons, read from its `reports.Statement`, with GRADE's domains."""

    reasons = serializers.ListField(child=serializers.CharField(), source="assessment.reasons")
    grade = GradeSerializer(
        source="assessment.rating", allow_null=True, help_text="GRADE's rating; null when no side decides the status."
    )
    parts = PartAssessmentSerializer(many=True, help_text="A split statement's parts; empty when not split.")


class ClaimSerializer(FullCleanSerializer):
    """A statement with its status, certainty, reasons and evidence, from the one path (`reports.statements`).
    The view hands the statements in `context["statements"]` (claim id -> Statement)."""

    article = serializers.SlugRelatedField(
        slug_field="slug", queryset=Article.objects.all(), allow_null=True, required=False
    )
    compounds = serializers.SlugRelatedField(
        slug_field="slug", queryset=Compound.objects.all(), many=True, required=False
    )
    assessment = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id", "article", "text", "start", "end", "category", "checkworthy", "compounds", "curator_note",
            "assessment", "evidence", "version", "links",
        ]  # fmt: skip
        read_only_fields = ["version"]

    def statement(self, claim: Claim) -> reports.Statement:
        statements = self.context.setdefault("statements", {})
        if claim.pk not in statements:  # one claim's detail: assessed once for all its fields
            statements[claim.pk] = claim_status.statements_of([claim])[0]
        return statements[claim.pk]

    @extend_schema_field(AssessmentSerializer)
    def get_assessment(self, claim: Claim) -> dict:
        return AssessmentSerializer(self.statement(claim)).data

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, claim: Claim) -> list[dict]:
        return EvidenceSerializer(self.statement(claim).evidence, many=True).data

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_links(self, claim: Claim) -> dict:
        request = self.context.get("request")
        return {
            "self": reverse("api:claim-detail", args=[claim.pk], request=request),
            "page": absolute(request, claim.get_absolute_url()),
        }


class AdverseEffectReportSerializer(FullCleanSerializer):
    source = serializers.SlugRelatedField(slug_field="key", queryset=Source.objects.all())
    effect = serializers.SlugRelatedField(slug_field="term", queryset=AdverseEffect.objects.all())
    compound = serializers.SlugRelatedField(slug_field="slug", queryset=Compound.objects.all())
    system_organ_class = serializers.CharField(source="effect.system_organ_class", read_only=True)

    class Meta:
        model = AdverseEffectReport
        fields = [
            "id", "source", "effect", "system_organ_class", "compound", "cases", "frequency", "severity",
            "setting", "co_exposures", "causality", "notes", "version",
        ]  # fmt: skip
        read_only_fields = ["version"]


class HarmCellSerializer(serializers.Serializer):
    sources = serializers.IntegerField()
    cases = serializers.IntegerField(allow_null=True)
    worst_severity = serializers.CharField(allow_null=True)
    url = serializers.CharField(help_text="The sources list page of exactly these sources.")


class OrganClassRowSerializer(serializers.Serializer):
    organ_class = serializers.CharField()
    total_sources = serializers.IntegerField()
    effects = serializers.ListField(child=serializers.CharField())
    cells = serializers.DictField(child=HarmCellSerializer(), help_text="Compound slug -> cell.")


class HarmMatrixSerializer(serializers.Serializer):
    columns = serializers.DictField(child=serializers.CharField(), help_text="Compound slug -> name.")
    rows = OrganClassRowSerializer(many=True)


class ArticleSerializer(serializers.ModelSerializer):
    summary = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = ["slug", "title", "url", "site", "accessed", "summary", "links"]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "integer"}})
    def get_summary(self, article: Article) -> dict:
        return self.context["summaries"][article.pk]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_links(self, article: Article) -> dict:
        request = self.context.get("request")
        links = {
            "self": reverse("api:article-detail", args=[article.slug], request=request),
            "page": absolute(request, article.get_absolute_url()),
        }
        for fmt in ("md", "csv", "json"):
            links[f"report_{fmt}"] = reverse("evidence:article-report", args=[article.slug, fmt], request=request)
        return links


class StatementSerializer(serializers.Serializer):
    """One statement of an article's review, as the review page shows it folded: its span, category, status,
    certainty and, when unsupported, the sources evidence matching proposes; `links.evidence` lists its
    evidence links, as the page's statement opens them."""

    id = serializers.IntegerField(source="claim.pk")
    number = serializers.IntegerField(help_text="Its place among the article's statements, as on every page.")
    text = serializers.CharField(source="claim.text")
    start = serializers.IntegerField(source="claim.start", allow_null=True)
    end = serializers.IntegerField(source="claim.end", allow_null=True)
    anchored = serializers.BooleanField()
    category = serializers.CharField(source="claim.category")
    checkworthy = serializers.BooleanField(source="claim.checkworthy")
    assessment = FoldedAssessmentSerializer(
        source="*", help_text="As the folded line says it; reasons and GRADE's domains are at `links.self`."
    )
    candidates = serializers.SerializerMethodField(
        help_text="Keys of the sources evidence matching proposes for an unsupported statement: never counted."
    )
    links = serializers.SerializerMethodField()

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_candidates(self, statement: reports.Statement) -> list[str]:
        return list(statement.candidates or ())

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_links(self, statement: reports.Statement) -> dict:
        """The statement in the API, every one of its evidence links, and its page."""
        request = self.context.get("request")
        # Reversed once per response, not per statement.
        evidence = self.context.setdefault("evidence_list", absolute(request, reverse("api:evidence-list")))
        return {
            "self": absolute(request, url_with("api:claim-detail", statement.claim.pk)),
            "evidence": f"{evidence}?claim={statement.claim.pk}",
            "page": absolute(request, statement.claim.get_absolute_url()),
        }


class ArticleDetailSerializer(ArticleSerializer):
    text = serializers.CharField()
    statements = serializers.SerializerMethodField()

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "text", "statements"]

    @extend_schema_field(StatementSerializer(many=True))
    def get_statements(self, article: Article) -> list[dict]:
        return StatementSerializer(self.context["statements"], many=True).data


class CheckRequestSerializer(serializers.Serializer):
    text = serializers.CharField(trim_whitespace=False, help_text="The article's text; it is never stored.")


class CandidateSerializer(serializers.Serializer):
    """A source evidence matching proposes for a statement (`evidence.query.matching`): never counted."""

    key = serializers.CharField(source="source.key")
    title = serializers.CharField(source="source.title")
    year = serializers.IntegerField(source="source.year", allow_null=True)
    coverage = serializers.FloatField(help_text="Share of the statement's terms (weighted by rarity) it contains.")
    url = serializers.SerializerMethodField()

    def get_url(self, candidate) -> str:
        return absolute(self.context.get("request"), candidate.source.get_absolute_url())


class MatchingStatementSerializer(serializers.Serializer):
    """A curated statement saying the same (`evidence.query.same`), with its computed status."""

    id = serializers.IntegerField(source="claim.pk")
    article = serializers.CharField(source="claim.article.slug", allow_null=True, default=None)
    number = serializers.IntegerField(help_text="Its place in its article, as on every page.")
    similarity = serializers.FloatField(help_text="Content words shared (Jaccard), at least 0.6.")
    status = serializers.ChoiceField(choices=[status.value for status in Status], source="status.value")
    url = serializers.SerializerMethodField()

    def get_url(self, same) -> str:
        return absolute(self.context.get("request"), same.claim.get_absolute_url())


class CheckedStatementSerializer(serializers.Serializer):
    start = serializers.IntegerField(source="span.start")
    end = serializers.IntegerField(source="span.end")
    text = serializers.CharField(source="span.text")
    candidates = CandidateSerializer(many=True, help_text="Candidate sources, best first (at most five).")
    candidates_line = serializers.CharField(
        help_text="What a statement's page says of them: “Not yet reviewed: N candidate sources (…).” or "
        "“No evidence found in the base.”"
    )
    curated = MatchingStatementSerializer(
        many=True, source="same", help_text="Curated statements with evidence saying the same, most similar first."
    )


class CheckResultSerializer(serializers.Serializer):
    statements = CheckedStatementSerializer(many=True)
    unchecked = serializers.IntegerField(help_text="Statements past the limit, not checked.")
    stored = serializers.BooleanField(default=False, help_text="Always false: a check writes nothing.")


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=["auto", "bibtex", "ris", "csljson", "medline"], default="auto")


class PlannedEntrySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    line = serializers.IntegerField(allow_null=True)
    file_key = serializers.CharField()
    title = serializers.CharField()
    action = serializers.ChoiceField(choices=[action.value for action in Action])
    reason = serializers.CharField()
    existing = serializers.CharField(source="existing.key", allow_null=True, default=None)
    fills = serializers.SerializerMethodField()
    conflicts = serializers.SerializerMethodField()

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_fills(self, entry) -> list[str]:
        return list(entry.fills)

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "array", "items": {}}})
    def get_conflicts(self, entry) -> dict:
        return {name: [str(ours), str(theirs)] for name, (ours, theirs) in entry.conflicts.items()}


class ImportResultSerializer(serializers.Serializer):
    batch = serializers.CharField()
    created = serializers.ListField(child=serializers.CharField())
    updated = serializers.ListField(child=serializers.CharField())


class ImportPlanSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    filename = serializers.CharField()
    format = serializers.CharField()
    content_sha256 = serializers.CharField()
    summary = serializers.DictField(child=serializers.IntegerField())
    entries = PlannedEntrySerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    result = ImportResultSerializer(allow_null=True)
    commit = serializers.CharField(help_text="POST here to write the plan.")
