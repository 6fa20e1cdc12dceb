"""What curators record for GRADE: risk of bias per source, domain overrides and upgrades per claim, and the
parts of a statement. Bad input is a clear form error and nothing is saved; the database refuses it too."""

from html import unescape

import pytest
from django.db import IntegrityError, transaction
from django.forms import modelform_factory
from django.urls import reverse

from evidence.models import Claim, Evidence, GradeOverride, GradeUpgrade, RiskOfBias, Source, StatementPart
from tests.test_safe_curation import change_form_data

pytestmark = pytest.mark.django_db

STATEMENT_28 = "Remember that consistency is key"


def form_for(model, fields, data, instance=None):
    return modelform_factory(model, fields=fields)(data, instance=instance)


@pytest.fixture
def statement():
    return Claim.objects.get(text__startswith=STATEMENT_28)


def test_every_demo_source_is_not_assessed_for_risk_of_bias():
    # The shared data records no appraisal, funding or conflicts: nothing is filled from memory.
    assert not RiskOfBias.objects.exists()


ROB_FIELDS = ["source", "tool", "judgment", "reason", "funding", "conflicts", "industry"]


def test_a_risk_of_bias_judgment_is_saved_with_its_tool_and_reason():
    source = Source.objects.get(key="Vicknasingam2020")
    data = {"source": source.pk, "tool": "rob-2", "judgment": "some-concerns", "reason": "Synthetic test reason."}
    form = form_for(RiskOfBias, ROB_FIELDS, {**data, "industry": "not-recorded"})
    assert form.is_valid(), form.errors
    form.save()
    assert str(source.risk_of_bias) == "Vicknasingam2020: some concerns"


def test_a_risk_of_bias_judgment_on_a_retracted_source_is_a_form_error():
    source = Source.objects.create(
        key="SyntheticRetracted2001", title="Synthetic retracted", retraction_status="retracted"
    )
    data = {"source": source.pk, "tool": "rob-2", "judgment": "low", "reason": "Synthetic.", "industry": "not-recorded"}
    form = form_for(RiskOfBias, ROB_FIELDS, data)
    assert not form.is_valid()
    assert form.errors["judgment"] == [
        "A retracted source is not appraised: its results count for nothing, so leave the judgment empty."
    ]
    assert not RiskOfBias.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"tool": "not-assessed", "judgment": "low", "reason": "x"}, "tool", "Name the tool"),
        ({"tool": "rob-2", "judgment": "high", "reason": " "}, "reason", "Say why"),
        ({"tool": "not-assessed", "industry": "declared"}, "industry", "Quote the funding"),
    ],
)
def test_incomplete_risk_of_bias_records_are_form_errors(data, field, message):
    source = Source.objects.get(key="Vicknasingam2020")
    form = form_for(RiskOfBias, ROB_FIELDS, {"source": source.pk, "industry": "not-recorded", **data})
    assert not form.is_valid()
    assert form.errors[field][0].startswith(message)
    assert not RiskOfBias.objects.exists()


def test_the_database_refuses_a_judgment_without_a_tool():
    source = Source.objects.get(key="Vicknasingam2020")
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskOfBias.objects.create(source=source, tool="not-assessed", judgment="low", reason="x")


OVERRIDE_FIELDS = ["claim", "domain", "judgment", "reason"]


def test_an_override_without_a_reason_is_a_form_error(statement):
    form = form_for(
        GradeOverride,
        OVERRIDE_FIELDS,
        {"claim": statement.pk, "domain": "indirectness", "judgment": "serious", "reason": "  "},
    )
    assert not form.is_valid()
    assert "reason" in form.errors
    assert not GradeOverride.objects.exists()


def test_an_override_with_its_reason_is_saved_once_per_domain(statement):
    data = {"claim": statement.pk, "domain": "indirectness", "judgment": "serious", "reason": "Synthetic reason."}
    form_for(GradeOverride, OVERRIDE_FIELDS, data).save()
    again = form_for(GradeOverride, OVERRIDE_FIELDS, data)
    assert not again.is_valid()
    assert GradeOverride.objects.count() == 1


def test_the_database_refuses_an_override_or_upgrade_without_a_reason(statement):
    with pytest.raises(IntegrityError), transaction.atomic():
        GradeOverride.objects.create(claim=statement, domain="imprecision", judgment="serious", reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        GradeUpgrade.objects.create(claim=statement, kind="dose-response", reason="")


PART_FIELDS = ["claim", "position", "kind", "text", "start", "end", "category", "checkworthy"]


def part_data(statement, **fields):
    return {
        "claim": statement.pk,
        "position": 1,
        "kind": "span",
        "category": "dependence",
        "checkworthy": "on",
        **fields,
    }


def test_a_part_quoted_from_its_statement_finds_its_span(statement):
    form = form_for(StatementPart, PART_FIELDS, part_data(statement, text="taking kratom regularly"))
    assert form.is_valid(), form.errors
    part = form.save()
    assert statement.text[part.start : part.end] == "taking kratom regularly"


def test_a_part_whose_span_is_outside_the_statement_is_a_form_error(statement):
    end = len(statement.text) + 5
    form = form_for(StatementPart, PART_FIELDS, part_data(statement, text="", start=10, end=end))
    assert not form.is_valid()
    assert form.errors["end"] == [f"The span 10–{end} is outside the statement (0–{len(statement.text)})."]
    assert not StatementPart.objects.exists()


def test_a_span_whose_text_is_not_the_statements_is_a_form_error(statement):
    form = form_for(StatementPart, PART_FIELDS, part_data(statement, text="something else", start=0, end=8))
    assert not form.is_valid()
    assert form.errors["text"] == ["A span's text must equal the statement's characters 0–8: 'Remember'"]


def test_a_premise_is_a_paraphrase_without_a_span(statement):
    premise = part_data(statement, kind="premise", text="Synthetic implied premise.", start=0, end=8)
    form = form_for(StatementPart, PART_FIELDS, premise)
    assert not form.is_valid()
    assert "start" in form.errors
    premise.update(start="", end="")
    assert form_for(StatementPart, PART_FIELDS, premise).is_valid()


def test_a_source_can_support_one_part_and_contradict_another(statement):
    first = StatementPart.objects.create(claim=statement, position=1, text="a", start=0, end=1)
    second = StatementPart.objects.create(claim=statement, position=2, text="b", start=1, end=2)
    source = Source.objects.get(key="Smith2022FP")
    assert Evidence.objects.filter(claim=statement, source=source, part=None).exists()
    Evidence.objects.create(claim=statement, part=first, source=source, stance="supports", finding="Synthetic.")
    Evidence.objects.create(claim=statement, part=second, source=source, stance="contradicts", finding="Synthetic.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(claim=statement, part=first, source=source, stance="mentions", finding="Synthetic.")


def test_a_link_to_another_statements_part_is_refused(statement):
    other = Claim.objects.exclude(pk=statement.pk).first()
    part = StatementPart.objects.create(claim=other, position=1, kind="premise", text="Synthetic premise.")
    link = Evidence(claim=statement, part=part, source=Source.objects.get(key="Smith2022FP"), stance="supports")
    with pytest.raises(Exception, match="belongs to another statement"):
        link.full_clean(exclude=["finding"])


# Through the admin: one submission with a bad row saves nothing, not even the record's own fields.
def test_the_admin_refuses_a_risk_of_bias_judgment_on_a_retracted_source_and_saves_nothing(curator):
    source = Source.objects.get(key="Vicknasingam2020")
    url = reverse("admin:evidence_source_change", args=[source.pk])
    data = change_form_data(curator, url)
    data.update({"retraction_status": "retracted", "title": "Synthetic changed title"})
    data.update(
        {"risk_of_bias-0-tool": "rob-2", "risk_of_bias-0-judgment": "low", "risk_of_bias-0-reason": "Synthetic."}
    )
    response = curator.post(url, data)
    assert response.status_code == 200
    assert "A retracted source is not appraised" in response.content.decode()
    source.refresh_from_db()
    assert (source.title, source.retraction_status) != ("Synthetic changed title", "retracted")
    assert not RiskOfBias.objects.exists()


def test_the_admin_records_a_risk_of_bias_judgment_with_the_source(curator):
    source = Source.objects.get(key="Vicknasingam2020")
    url = reverse("admin:evidence_source_change", args=[source.pk])
    data = change_form_data(curator, url)
    data.update(
        {"risk_of_bias-0-tool": "rob-2", "risk_of_bias-0-judgment": "high", "risk_of_bias-0-reason": "Synthetic."}
    )
    assert curator.post(url, data).status_code == 302
    assert RiskOfBias.objects.get(source=source).judgment == "high"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            {"grade_overrides": {"domain": "indirectness", "judgment": "serious", "reason": ""}},
            "An override needs its reason: readers see it beside the computed one.",
        ),
        (
            {"parts": {"position": "1", "kind": "span", "text": "", "start": "0", "end": "9999", "category": "dosage"}},
            "The span 0–9999 is outside the statement",
        ),
    ],
)
def test_the_admin_refuses_a_bad_override_or_part_and_saves_nothing(curator, statement, rows, message):
    url = reverse("admin:evidence_claim_change", args=[statement.pk])
    data = change_form_data(curator, url)
    data["category"] = "efficacy"
    for prefix, fields in rows.items():
        data[f"{prefix}-TOTAL_FORMS"] = "1"
        data.update({f"{prefix}-0-{name}": value for name, value in fields.items()})
    response = curator.post(url, data)
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    statement.refresh_from_db()
    assert statement.category == "dosage"
    assert not GradeOverride.objects.exists() and not StatementPart.objects.exists()
