"""ingest_article and flag_article, as scripts use them."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from evidence.models import Article

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_ingest_article_prints_the_slug_and_the_number_of_statements(tmp_path):
    path = tmp_path / "article.txt"
    path.write_text("Kratom Basics\nKratom is a plant. It is sold as powder.\n", encoding="utf-8")
    assert run("ingest_article", str(path), "--title", "Kratom basics", "--url", "https://example.org/k") == (
        "kratom-basics\t2 statements\n"
    )
    article = Article.objects.get(slug="kratom-basics")
    assert article.url == "https://example.org/k" and article.claims.count() == 2


def test_ingest_article_refuses_bad_input_with_a_message(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("ingest_article", str(tmp_path / "missing.txt"), "--title", "x")
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CommandError, match="not UTF-8 text"):
        run("ingest_article", str(binary), "--title", "x")
    ok = tmp_path / "ok.txt"
    ok.write_text("Kratom is a plant.", encoding="utf-8")
    with pytest.raises(CommandError, match="url: Enter a valid URL"):
        run("ingest_article", str(ok), "--title", "x", "--url", "javascript:alert(1)")
    assert not Article.objects.filter(title="x").exists()


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_flag_article_prints_each_format(fmt):
    output = run("flag_article", "kratom-for-chronic-pain", "--format", fmt)
    assert "Remember that consistency is key" in output
    if fmt == "json":
        assert json.loads(output)["summary"]["contradicted"] == 1


def test_fail_on_exits_1_when_a_statement_has_a_listed_status():
    with pytest.raises(SystemExit) as exit_:
        run("flag_article", "kratom-for-chronic-pain", "--format", "json", "--fail-on", "unsupported,contradicted")
    assert exit_.value.code == 1
    # No statement of the seed article is contested: the same call passes.
    run("flag_article", "kratom-for-chronic-pain", "--fail-on", "contested")


def test_flag_article_rejects_unknown_statuses_and_slugs():
    with pytest.raises(CommandError, match="Unknown status nonsense"):
        run("flag_article", "kratom-for-chronic-pain", "--fail-on", "nonsense")
    with pytest.raises(CommandError, match="No article with slug 'nope'"):
        run("flag_article", "nope")
