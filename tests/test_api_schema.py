"""Schemathesis runs every operation of the OpenAPI schema against the live test server, as a curator: no
5xx, every response conforming to the schema (its default checks). One test, one load of the demo data and
a bounded number of examples per operation keep it to a minute or two per database; run it on PostgreSQL
too (DATABASE_URL)."""

from __future__ import annotations

import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from tests.conftest import CURATOR_PASSWORD

EXAMPLES = 8
# Valid by the schema yet refused by the model's own rules (a DOI already taken, a span outside its
# article, a slug that names nothing) is a 400 with the field named, not a failure of the contract; and a
# write whose If-Match (any string, as the schema says) names another version than the record's is a 412
# (a generated write reaches a record that exists when earlier tests' rows took the low ids).
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "412"]}}}
)


def check_operation(operation, base_url: str, headers: dict) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        database=None,
    )
    def run(case):
        case.call_and_validate(base_url=base_url, headers=headers)

    run()


def test_every_operation_conforms_to_the_schema(live_server, transactional_db):
    call_command("load_demo", curator_password=CURATOR_PASSWORD, verbosity=0)
    token = Token.objects.get_or_create(user=get_user_model().objects.get(username="curator"))[0]
    headers = {"Authorization": f"Token {token.key}"}
    # The schema /api/v1/schema/ serves, generated in-process; the requests go to the live server.
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True), config=CONFIG)
    failures, checked = {}, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        checked += 1
        try:
            check_operation(operation, live_server.url, headers)
        except Exception as error:  # every operation is run; all failures are reported together
            failures[operation.label] = str(error)[:3000]
    assert checked > 30
    assert failures == {}
