"""The overview builders as plain data: no database, no HTTP."""

from types import SimpleNamespace

from evidence import overviews
from evidence.reports import Excerpt, Statement, place_in_text
from evidence.support import Assessment, Status


def cell_row(organ_class, compound, sources, cases=None, worst=0):
    return {
        "organ_class": organ_class,
        "compound_slug": compound,
        "source_count": sources,
        "case_count": cases,
        "worst": worst,
    }


def test_harm_matrix_orders_organ_classes_by_sources_and_links_each_cell():
    rows = overviews.harm_matrix(
        [
            cell_row("Cardiac disorders", "kratom", 1),
            cell_row("Hepatobiliary disorders", "kratom", 4, cases=11, worst=3),
            cell_row("Hepatobiliary disorders", "mitragynine", 1, worst=5),
        ],
        [{"organ_class": "Hepatobiliary disorders", "term": "liver injury"}, {"organ_class": "Other", "term": "x"}],
        "/sources/",
    )
    assert [row.organ_class for row in rows] == ["Hepatobiliary disorders", "Cardiac disorders"]
    liver = rows[0]
    assert liver.total_sources == 5 and liver.effects == ["liver injury"]
    assert liver.cells["kratom"].cases == 11
    assert liver.cells["kratom"].worst_severity == "severe"
    assert liver.cells["mitragynine"].worst_severity == "fatal"
    assert liver.cells["kratom"].url == "/sources/?organ_class=Hepatobiliary+disorders&reported_with=kratom"
    assert rows[1].cells["kratom"].worst_severity is None and rows[1].cells["kratom"].cases is None


def test_harm_chart_bars_are_proportional_and_skip_empty_cells():
    rows = overviews.harm_matrix(
        [cell_row("A", "kratom", 8), cell_row("A", "mitragynine", 2), cell_row("B", "mitragynine", 4)], [], "/s/"
    )
    chart = overviews.harm_chart(rows, {"kratom": "Kratom", "mitragynine": "Mitragynine", "7-oh": "7-OH"})
    assert [group.label for group in chart.groups] == ["A", "B"]
    a_kratom, a_mitragynine = chart.groups[0].bars
    assert a_kratom.width == chart.plot_width
    assert a_mitragynine.width == round(chart.plot_width / 4)
    assert [bar.compound for bar in chart.groups[1].bars] == ["mitragynine"]
    assert chart.groups[1].bars[0].colour_index == 1  # a compound keeps its colour in every group
    assert chart.groups[1].y > a_mitragynine.y  # groups do not overlap
    assert chart.ticks[0] == (0, chart.plot_left) and chart.ticks[-1][0] == 8


def test_an_empty_chart_has_no_groups_and_only_its_axis():
    chart = overviews.harm_chart([], {})
    assert chart.groups == [] and chart.height == overviews.AXIS_HEIGHT


def test_decades_sum_years():
    rows = [(1999, 1), (2013, 2), (2019, 3), (2020, 4)]
    assert overviews.decades(rows) == [("1990s", 1), ("2010s", 5), ("2020s", 4)]


def statement(claim_id, number):
    return Statement(SimpleNamespace(pk=claim_id), Assessment(Status.WEAK, None, ()), [], number=number)


def test_evidence_map_puts_each_stance_in_its_column_and_most_linked_sources_first():
    links = [
        (1, "A2020", "animal-study", "supports"),
        (3, "B2019", "", "contradicts"),
        (3, "A2020", "animal-study", "mentions"),
    ]
    columns, rows = overviews.evidence_map([statement(1, 3), statement(2, 8), statement(3, 28)], links)
    # Columns carry each statement's number in its article, as on the review page.
    assert [column.number for column in columns] == [3, 8, 28]
    assert [row.key for row in rows] == ["A2020", "B2019"]
    assert rows[0].stances == ["supports", None, "mentions"]
    assert rows[1].stances == [None, None, "contradicts"]


def test_place_in_text_cuts_context_at_word_boundaries():
    text = "alpha beta gamma. The statement here. delta epsilon zeta"
    start = text.index("The")
    end = start + len("The statement here.")
    assert place_in_text(text, start, end, context=9) == Excerpt("…gamma. ", "The statement here.", " delta…")
    assert place_in_text(text, 0, 5, context=500) == Excerpt("", "alpha", text[5:])
