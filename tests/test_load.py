"""The load test's parts: the URLs it asks for, and a short real run of locust against the live server."""

import json
import sys

import pytest
from django.core.management import CommandError, call_command

from evidence.load import WEIGHTS, read_locust_stats, run_locust, sample_urls, write_plan
from tests.conftest import CURATOR_PASSWORD


def test_every_sampled_url_answers_and_the_sample_is_repeatable(db, reader):
    urls = sample_urls(seed=3)
    assert set(urls) == set(WEIGHTS)
    assert urls == sample_urls(seed=3)
    for kind, addresses in urls.items():
        assert addresses, kind
        for address in addresses[:15]:
            response = reader.get(address)
            assert response.status_code == 200, (kind, address, response.status_code)


def test_locust_stats_are_read_row_by_row_with_the_total_last(tmp_path):
    stats = tmp_path / "locust_stats.csv"
    stats.write_text(
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
        "Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
        "GET,home,10,1,40,45,20,90,5000,2.0,0.2,40,50,55,60,80,85,90,90,90,90,90\n"
        ",Aggregated,10,1,40,45,20,90,5000,2.0,0.2,40,50,55,60,80,85,90,90,90,90,90\n"
        "GET,claim,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\n",
        encoding="utf-8",
    )
    home, total, unused = read_locust_stats(stats)
    assert (home.name, home.requests, home.failures, home.median_ms, home.p95_ms, home.per_second) == (
        "home",
        10,
        1,
        40,
        85,
        2.0,
    )
    assert total.error_rate == pytest.approx(0.1)
    assert (unused.p95_ms, unused.error_rate) == (0, 0)


def test_a_short_run_of_locust_reads_every_kind_of_page_without_errors(live_server, transactional_db, tmp_path):
    call_command("load_demo", curator_password=CURATOR_PASSWORD, verbosity=0)
    plan = write_plan(tmp_path / "urls.json", (0.2, 0.5))
    figures = run_locust(live_server.url, plan, users=5, seconds=6, out_dir=tmp_path, python=sys.executable)
    total = figures[-1]
    assert total.name == "Aggregated"
    assert total.requests >= 10 and total.failures == 0
    assert {row.name for row in figures[:-1]} <= set(WEIGHTS)


@pytest.mark.parametrize(
    "target, refusal",
    [
        ("http://example.org", "must be on this machine's loopback"),
        ("http://10.0.0.7:8000", "must be on this machine's loopback"),
        ("http://localhost.example.org:8000", "must be on this machine's loopback"),
        ("http://127.0.0.1:8000/sources/", "without a path or query"),
        ("127.0.0.1:8000", "must be a base URL"),
    ],
)
def test_a_target_off_the_loopback_or_not_a_base_url_is_refused(db, target, refusal):
    with pytest.raises(CommandError, match=refusal):
        call_command("load_test", target=target, seconds=1)


def test_the_load_test_runs_against_a_site_already_serving_and_reports_each_kind_of_page(
    live_server, transactional_db, capsys
):
    call_command("load_demo", curator_password=CURATOR_PASSWORD, verbosity=0)
    capsys.readouterr()  # what loading the demo printed
    call_command("load_test", target=live_server.url, users=4, seconds=6, think=[0.2, 0.5], as_json=True)
    report = json.loads(capsys.readouterr().out)
    *kinds, total = report["rows"]
    assert kinds and {row["name"] for row in kinds} <= set(WEIGHTS)
    assert total["name"] == "Aggregated" and total["requests"] >= 10 and total["failures"] == 0
