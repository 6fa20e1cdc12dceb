"""The article review page and its downloads."""

import csv
import io
import json
import re
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.urls import reverse

from evidence.articles import add_statement_claims, create_article
from evidence.models import Claim, Evidence, Source
from tests.conftest import count_queries

pytestmark = pytest.mark.django_db
SEED = "kratom-for-chronic-pain"


def review_url(slug=SEED):
    return reverse("evidence:article", args=[slug])


def report_url(fmt, slug=SEED):
    return reverse("evidence:article-report", args=[slug, fmt])


def test_the_review_page_shows_summary_flags_and_every_statement(reader, django_assert_max_num_queries):
    # article, claims (numbered), their links as values; for GRADE the linked sources' compounds and
    # appraisals, the claims' compounds, overrides, upgrades and parts: nothing per statement. No link is read
    # as an object: each statement's evidence is loaded when it is opened.
    with django_assert_max_num_queries(8):
        response = reader.get(review_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "Flagged statements (13)" in page
    assert page.count('<div class="stmt-block stmt-block--') == 37
    # Each statement, folded, is a link to its evidence page, with its status and its certainty in view.
    assert page.count('/evidence/"><b>') == 37
    assert "<table" not in page
    statement_28 = re.search(r'<div class="stmt-block stmt-block--contradicted"[^>]*><a [^>]*><b>28</b>.*?</div>', page)
    assert "<small>certainty very low</small>" in statement_28.group()
    # Worst first: the one contradicted statement heads the flagged list.
    flagged = page[page.index('<ol class="flagged">') :]
    assert flagged.index("Statement 28</a>") < flagged.index("Statement 2</a>")
    assert 'class="badge badge--contradicted"><span aria-hidden="true">✖</span> contradicted</span>' in page


def test_the_query_count_does_not_grow_with_the_number_of_statements(reader):
    article, _ = create_article("Growing", "One claim here. Another claim here.")
    source = Source.objects.get(key="Kruegel2016")

    before = count_queries(reader, review_url(article.slug))
    sentences = " ".join(f"Statement number {i} is here." for i in range(60))
    article.text += " " + sentences
    article.save()

    assert add_statement_claims(article) == 60
    Evidence.objects.bulk_create(
        Evidence(claim=claim, source=source, stance="supports", finding="x") for claim in article.claims.all()
    )
    assert count_queries(reader, review_url(article.slug)) <= before


def test_unsupported_statements_say_whether_candidates_wait_in_a_fixed_number_of_queries(
    reader, django_capture_on_commit_callbacks
):
    # Evidence matching for every unsupported statement of the page at once: its two queries (and the
    # lexicon's two, read once a minute) whatever the number of statements.
    article, _ = create_article("Unlinked", "Kratom is said to damage the liver in heavy users. Quokkas sing.")
    with django_capture_on_commit_callbacks(execute=True):  # committed: the statuses stored
        add_statement_claims(article)
    page = reader.get(review_url(article.slug)).content.decode()
    before = count_queries(reader, review_url(article.slug))
    liver, quokkas = Claim.objects.filter(article=article).order_by("start")
    line = re.search(rf'id="claim-{liver.pk}">.*?</div>', page).group()
    assert re.search(r"<small>Not yet reviewed: \d+ candidate sources?\.</small>", line), line
    assert (
        "<small>No evidence found in the base.</small>"
        in re.search(rf'id="claim-{quokkas.pk}">.*?</div>', page).group()
    )

    article.text += " " + " ".join(f"Kratom tea number {i} harms the liver." for i in range(30))
    article.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert add_statement_claims(article) == 30
    assert count_queries(reader, review_url(article.slug)) <= before


def test_unknown_articles_and_formats_are_404(reader):
    assert reader.get(review_url("no-such-article")).status_code == 404
    assert reader.get(report_url("xls")).status_code == 404
    assert reader.get(report_url("json", "no-such-article")).status_code == 404


def test_the_json_report_has_the_documented_shape(reader):
    response = reader.get(report_url("json"))
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="{SEED}-flags.json"'
    report = json.loads(response.content)
    assert set(report) == {"article", "summary", "summary_by_part", "statements"}
    assert report["summary"] == {
        "statements": 37,
        "checkworthy": 22,
        "supported": 9,
        "weak": 12,
        "contested": 0,
        "contradicted": 1,
        "unsupported": 0,
        "not_checkable": 15,
        "mixed": 0,
    }
    # No statement is split in the demo: counted by parts, the statuses are the same.
    assert report["summary_by_part"] == {
        k: v for k, v in report["summary"].items() if k not in ("statements", "checkworthy")
    }
    statement = report["statements"][0]
    assert statement["domains"]["imprecision"] == {
        "judgment": "not assessed",
        "computed": "not assessed",
        "override": None,
        "reason": "Judged on participants for claims about people; a mechanism claim's studies are not samples of "
        "people and their precision is not recorded.",
    }
    assert (statement["number"], statement["certainty"], statement["certainty_symbols"]) == (1, "high", "⊕⊕⊕⊕")
    assert set(statement) == {
        "number",
        "certainty_symbols",
        "domains",
        "claim_id",
        "start",
        "end",
        "text",
        "category",
        "status",
        "certainty",
        "reasons",
        "candidates",
        "evidence",
    }
    assert set(statement["evidence"][0]) == {"source_key", "doi", "pmid", "design", "stance", "finding"}
    # Strongest stance first, then by citation key.
    keys = [e["source_key"] for e in statement["evidence"]]
    assert [e["stance"] for e in statement["evidence"]] == ["supports"] * 7 and keys == sorted(keys)


def test_the_page_and_flag_article_agree(reader):
    page_statuses = {
        s["claim_id"]: s["status"] for s in json.loads(reader.get(report_url("json")).content)["statements"]
    }
    out = io.StringIO()
    call_command("flag_article", SEED, format="json", stdout=out)
    command_statuses = {s["claim_id"]: s["status"] for s in json.loads(out.getvalue())["statements"]}
    assert page_statuses == command_statuses
    html = reader.get(review_url()).content.decode()
    for claim_id, status in page_statuses.items():
        assert (
            f'class="stmt-block stmt-block--{status}" id="claim-{claim_id}"><a href="/claims/{claim_id}/evidence/">'
            in html
        )


def test_downloads_are_safe_against_hostile_text(reader):
    hostile = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> [link](javascript:x) | *bold*.'
    article, _ = create_article("Hostile <b>title</b>", hostile)
    rows = list(csv.reader(io.StringIO(reader.get(report_url("csv", article.slug)).content.decode())))
    assert rows[1][4].startswith("'=HYPERLINK")
    markdown = reader.get(report_url("md", article.slug)).content.decode()
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert "\\[link\\]" in markdown and "\\|" in markdown
    html = reader.get(review_url(article.slug)).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Hostile &lt;b&gt;title&lt;/b&gt;" in html


def test_a_new_article_is_all_unsupported_until_linked(reader):
    article, count = create_article("Fresh", "Kratom cures everything. Kratom is a plant.")
    report = json.loads(reader.get(report_url("json", article.slug)).content)
    assert report["summary"]["unsupported"] == count == 2
    claim = Claim.objects.get(article=article, text="Kratom is a plant.")
    link = Evidence.objects.create(
        claim=claim, source=Source.objects.get(key="Prozialeck2012"), stance="supports", finding="x"
    )
    # A draft link counts only when asked: nobody has checked it yet.
    report = json.loads(reader.get(report_url("json", article.slug)).content)
    assert report["summary"]["unsupported"] == 2
    (plant,) = [s for s in report["statements"] if s["claim_id"] == claim.pk]
    assert plant["reasons"][-1] == "1 draft evidence link not counted until reviewed."
    with_drafts = json.loads(reader.get(report_url("json", article.slug) + "?drafts=include").content)
    assert with_drafts["summary"]["supported"] == 1
    # The review page counting drafts opens each statement's evidence counting them too.
    evidence_url = reverse("evidence:claim-evidence", args=[claim.pk]) + "?drafts=include"
    assert f'href="{evidence_url}"' in reader.get(review_url(article.slug) + "?drafts=include").content.decode()
    assert "Direct support" in reader.get(evidence_url).content.decode()
    assert "Direct support" not in reader.get(reverse("evidence:claim-evidence", args=[claim.pk])).content.decode()
    link.curation_status = "reviewed"
    link.save()
    report = json.loads(reader.get(report_url("json", article.slug)).content)
    assert report["summary"]["unsupported"] == 1 and report["summary"]["supported"] == 1


def test_markdown_report_lists_flagged_statements_with_reasons(reader):
    markdown = reader.get(report_url("md")).content.decode()
    assert markdown.startswith("# Flag report: Kratom for chronic pain")
    assert "| 37 | 22 | 9 | 12 | 0 | 1 | 0 | 15 | 0 |" in markdown
    assert "- **28. contradicted**, certainty very low: Remember that consistency is key" in markdown


def test_each_statement_opens_on_its_strongest_links_and_a_way_to_all_of_them(reader):
    from django.db.models import Count

    from evidence.reports import REVIEW_LINKS_SHOWN

    claim = Claim.objects.annotate(n=Count("evidence")).filter(n__gt=REVIEW_LINKS_SHOWN).order_by("-n", "pk").first()
    page = reader.get(reverse("evidence:article", args=[claim.article.slug])).content.decode()
    evidence_url = reverse("evidence:claim-evidence", args=[claim.pk])
    assert f'id="claim-{claim.pk}"><a href="{evidence_url}">' in page
    # The page the link leads to works on its own; the fragment is the same part without the site around it.
    whole_page = reader.get(evidence_url).content.decode()
    fragment = reader.get(reverse("evidence:claim-evidence-fragment", args=[claim.pk])).content.decode()
    assert fragment.strip() in whole_page and "<html" in whole_page and "<html" not in fragment
    assert f'href="{claim.article.get_absolute_url()}#claim-{claim.pk}"' in whole_page
    assert fragment.count("<tr>") == 1 + REVIEW_LINKS_SHOWN  # the header row and the strongest links
    assert f'href="{claim.get_absolute_url()}">All {claim.n} evidence links' in fragment
    strongest = Claim.objects.for_review().get(pk=claim.pk).evidence.all()[:REVIEW_LINKS_SHOWN]
    assert [f">{e.source.key}</a>" in fragment for e in strongest] == [True] * REVIEW_LINKS_SHOWN
    whole = reader.get(claim.get_absolute_url()).content.decode()
    assert all(f">{e.source.key}</a>" in whole for e in Evidence.objects.filter(claim=claim).select_related("source"))


def test_a_statements_evidence_has_a_bounded_number_of_queries(
    reader, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # The claim (numbered), its stored status, its strongest links; an unsupported statement adds evidence
    # matching's two, and the lexicon's two reads (compounds, thesaurus; read once a minute, so a warm server
    # does not repeat them).
    statement_28 = Claim.objects.with_numbers().get(article__slug=SEED, number=28)
    with django_assert_max_num_queries(8):
        response = reader.get(reverse("evidence:claim-evidence-fragment", args=[statement_28.pk]))
    assert "Smith2022JAM" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # committed: the status stored
        article, _ = create_article("Unlinked", "Kratom is said to damage the liver in heavy users.")
        add_statement_claims(article)
    (unlinked,) = article.claims.all()
    with django_assert_max_num_queries(12):
        response = reader.get(reverse("evidence:claim-evidence-fragment", args=[unlinked.pk]))
    assert 'class="candidates"' in response.content.decode()


def test_the_evidence_of_a_missing_statement_is_404(reader):
    assert reader.get(reverse("evidence:claim-evidence", args=[999_999])).status_code == 404
    assert reader.get(reverse("evidence:claim-evidence-fragment", args=[999_999])).status_code == 404


@pytest.mark.parametrize("include_drafts", [False, True])
def test_the_review_page_report_agrees_with_the_full_report_statement_by_statement(include_drafts):
    # The page assesses from plain values and keeps only the strongest links as objects; the downloads
    # use every link as an object. Same statuses, reasons and certainty; the page's links are the first.
    from evidence.models import Article
    from evidence.reports import article_reports, build_report

    articles = list(Article.objects.all())
    summaries = article_reports(articles, include_drafts)  # the home page's: every article at once, no links
    assert [r.summary for r in summaries] == [
        build_report(a, Claim.objects.for_review().filter(article=a), include_drafts).summary for a in articles
    ]
    assert all(s.evidence == [] for r in summaries for s in r.statements)
    for article in articles:
        full = build_report(article, Claim.objects.for_review().filter(article=article), include_drafts)
        (page,) = article_reports([article], include_drafts, shown=3)
        assert [s.claim.pk for s in page.statements] == [s.claim.pk for s in full.statements]
        for on_page, whole in zip(page.statements, full.statements, strict=True):
            # The stored statuses (drafts not counted) keep no studies: only the Summary of Findings reads them.
            expected = whole.assessment if include_drafts else replace(whole.assessment, deciding=(), opposing=())
            assert on_page.assessment == expected
            assert on_page.links == len(whole.evidence)
            assert [e.pk for e in on_page.evidence] == [e.pk for e in whole.evidence[:3]]
        assert page.summary == full.summary


def test_whole_articles_are_numbered_by_a_window_as_the_counting_subquery_numbers_them():
    # The review page and the home page number whole articles with a window; filtered lists count earlier
    # statements. The same numbers either way, an unanchored statement (no start) last.
    seed = Claim.objects.filter(article__slug=SEED)
    unanchored = seed.order_by("pk").first()
    Claim.objects.filter(pk=unanchored.pk).update(start=None, end=None)
    counted = dict(seed.with_numbers().values_list("pk", "number"))
    windowed = dict(seed.with_numbers_of_whole_articles().values_list("pk", "number"))
    assert counted == windowed and sorted(windowed.values()) == list(range(1, len(windowed) + 1))
    assert windowed[unanchored.pk] == len(windowed)
