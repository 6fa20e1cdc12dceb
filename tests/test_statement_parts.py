"""A split statement's overall status from its parts (plain data)."""

import pytest

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
