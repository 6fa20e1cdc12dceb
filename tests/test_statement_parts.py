"""A split statement's overall status from its parts (plain data)."""

import pytest

from evidence.models import Claim
from evidence.parts import overall
from evidence.support import Status

S = Status


@pytest.mark.parametrize(
    ("statuses", "status", "label", "flagged"),
    [
        ([S.SUPPORTED, S.SUPPORTED], "supported", "supported", False),
        ([S.SUPPORTED, S.NOT_CHECKABLE], "supported", "supported", False),  # an untestable part mixes nothing
        ([S.WEAK, S.NOT_CHECKABLE], "weak", "weak", True),
        ([S.NOT_CHECKABLE, S.NOT_CHECKABLE], "not_checkable", "not checkable", False),
        ([S.SUPPORTED, S.CONTRADICTED], "mixed", "mixed: 1 supported and 1 contradicted", True),
        (
            [S.CONTRADICTED, S.SUPPORTED, S.NOT_CHECKABLE, S.SUPPORTED],
            "mixed",
            "mixed: 2 supported, 1 contradicted and 1 not checkable",
            True,
        ),
    ],
)
def test_a_statement_with_parts_has_one_status_or_is_mixed_and_is_flagged_if_any_part_is(
    statuses, status, label, flagged
):
    result = overall(statuses)
    assert (result.status, result.label, result.flagged) == (status, label, flagged)


def test_a_statement_with_no_parts_has_no_overall_status_from_parts():
    with pytest.raises(ValueError, match="at least one part"):
        overall([])


# --- Statement 28 split as a curator would, in the admin -------------------------------------------------
STATEMENT_28 = "Remember that consistency is key"
TOLERANCE = "taking kratom regularly at set times can help build tolerance"


@pytest.fixture
def split_28(curator):
    """Two admin submissions: the parts first, then each link given its part and the new supporting link."""
    from django.urls import reverse

    from evidence.models import Claim, Source
    from tests.test_safe_curation import change_form_data

    claim = Claim.objects.get(text__startswith=STATEMENT_28)
    url = reverse("admin:evidence_claim_change", args=[claim.pk])
    data = change_form_data(curator, url)
    data["parts-TOTAL_FORMS"] = "2"
    data.update({"parts-0-position": "1", "parts-0-kind": "span", "parts-0-text": TOLERANCE})
    data.update({"parts-0-category": "dependence", "parts-0-checkworthy": "on"})
    data.update({"parts-1-position": "2", "parts-1-kind": "premise", "parts-1-category": "efficacy"})
    data.update({"parts-1-text": "Regular use at set times optimises pain relief.", "parts-1-checkworthy": "on"})
    assert curator.post(url, data).status_code == 302
    tolerance, relief = claim.parts.order_by("position")

    data = change_form_data(curator, url)
    links = int(data["evidence-INITIAL_FORMS"])
    for index in range(links):  # its current links bear on the pain-relief half
        data[f"evidence-{index}-part"] = str(relief.pk)
    data["evidence-TOTAL_FORMS"] = str(links + 1)
    smith = Source.objects.get(key="Smith2022FP")
    data.update({f"evidence-{links}-source": str(smith.pk), f"evidence-{links}-stance": "supports"})
    data.update({f"evidence-{links}-part": str(tolerance.pk), f"evidence-{links}-curation_status": "reviewed"})
    data[f"evidence-{links}-finding"] = "Over a quarter of 129 regular users had increased their dose since starting."
    response = curator.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return claim


@pytest.mark.django_db
def test_statement_28_split_shows_both_parts_and_its_overall_status_everywhere(reader, split_28):
    import csv
    import io
    import json

    from django.urls import reverse

    slug = "kratom-for-chronic-pain"
    page = reader.get(reverse("evidence:article", args=[slug])).content.decode()
    assert "mixed: 1 supported and 1 contradicted" in page
    # The parts are in what the review page unfolds: the statement's evidence page (or its fragment).
    statement_28 = Claim.objects.with_numbers().get(article__slug=slug, number=28)
    page = reader.get(reverse("evidence:claim-evidence", args=[statement_28.pk])).content.decode()
    assert "Part 28.1" in page and "Part 28.2" in page
    heading = page[page.index("<h4>Part 28.1") :]
    assert heading.index('badge--supported"') < heading.index("</h4>")
    heading = page[page.index("<h4>Part 28.2") :]
    assert heading.index('badge--contradicted"') < heading.index("</h4>")

    report = json.loads(reader.get(reverse("evidence:article-report", args=[slug, "json"])).content)
    (statement,) = [s for s in report["statements"] if s["number"] == 28]
    assert (statement["status"], statement["status_label"]) == ("mixed", "mixed: 1 supported and 1 contradicted")
    assert [(p["number"], p["status"]) for p in statement["parts"]] == [("28.1", "supported"), ("28.2", "contradicted")]
    assert statement["parts"][0]["domains"]["indirectness"]["judgment"] == "not serious"
    assert report["summary"]["mixed"] == 1 and report["summary"]["contradicted"] == 0
    assert report["summary_by_part"]["contradicted"] == 1

    rows = list(
        csv.reader(io.StringIO(reader.get(reverse("evidence:article-report", args=[slug, "csv"])).content.decode()))
    )
    assert [(r[0], r[6]) for r in rows if r[0].startswith("28")] == [
        ("28", "mixed: 1 supported and 1 contradicted"),
        ("28.1", "supported"),
        ("28.2", "contradicted"),
    ]
    markdown = reader.get(reverse("evidence:article-report", args=[slug, "md"])).content.decode()
    assert "**28. mixed: 1 supported and 1 contradicted**" in markdown and "**Part 28.1: supported**" in markdown

    findings = reader.get(reverse("evidence:article-findings", args=[slug])).content.decode()
    for number, status in [
        ("28", "mixed: 1 supported and 1 contradicted"),
        ("28.1", "supported"),
        ("28.2", "contradicted"),
    ]:
        assert f'<th scope="row">{number}</th>' in findings
        row = findings.split(f'<th scope="row">{number}</th>')[1].split("</tr>")[0]
        assert f"<td>{status}</td>" in row


@pytest.mark.django_db
def test_a_split_statements_part_links_count_on_the_statements_list_and_show_on_the_map(reader, split_28):
    import re

    from django.urls import reverse

    from evidence.models import Evidence, Source

    # The list counts every link of the statement, to the whole or to a part (as "All N evidence links" does).
    article = split_28.article.slug
    html = reader.get(reverse("evidence:claims") + f"?article={article}").content.decode()
    row = re.search(rf'href="{split_28.get_absolute_url()}".*?</th>(.*?)</tr>', html, re.DOTALL).group(1)
    assert re.findall(r"<td>(\d+)</td>", row) == [str(Evidence.objects.filter(claim=split_28).count())]

    def map_cell(key: str) -> str | None:
        response = reader.get(reverse("evidence:evidence-map") + f"?article={article}")
        (column,) = [i for i, c in enumerate(response.context["columns"]) if c.statement.claim.pk == split_28.pk]
        (row,) = [r for r in response.context["sources"].paginator.object_list if r.key == key]
        return row.stances[column]

    # Smith2022FP bears on the tolerance part only: its cell shows that link's stance…
    assert map_cell("Smith2022FP") == "supports"
    # …and a source linked to the whole statement and to a part shows the whole's stance, whichever link came
    # first (a source not linked to it yet, linked to the whole, then to a part).
    other = Source.objects.public().exclude(evidence__claim=split_28).order_by("key").first()
    Evidence.objects.create(claim=split_28, source=other, stance="mentions")
    Evidence.objects.create(claim=split_28, source=other, stance="contradicts", part=split_28.parts.first())
    assert map_cell(other.key) == "mentions"
