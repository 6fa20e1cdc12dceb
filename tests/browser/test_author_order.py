"""A curator reorders a source's authors by dragging a row and by its keyboard buttons, then saves."""

from playwright.sync_api import expect

from evidence.models import Source

from .conftest import screenshot
from .test_curation import log_in


def families(page) -> list[str]:
    """The author rows' names, top to bottom, as shown."""
    cells = page.locator("#authorships-group tbody tr.has_original td.field-author .select2-selection__rendered")
    return [text.split(",")[0].strip("×\n ") for text in cells.all_inner_texts()]


def test_a_curator_drags_and_moves_authors_and_the_order_is_saved(page, site):
    log_in(page, site)
    source = Source.objects.get(key="Kruegel2016")
    page.goto(f"{site}/admin/evidence/source/{source.pk}/change/")
    expect(page.locator("#authorships-group[data-author-order=ready]")).to_have_count(1)
    before = families(page)
    assert before[:2] == ["Kruegel", "Gassaway"]

    # Keyboard: the first author's "move down" button, pressed with Enter, twice.
    first_down = page.locator("#authorships-group tbody tr.has_original").first.get_by_role(
        "button", name="Move this author down"
    )
    first_down.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Author moved to position 2.")
    page.keyboard.press("Enter")  # focus stays on the button as its row moves
    expect(page.get_by_role("status")).to_have_text("Author moved to position 3.")
    # Mouse: drag the last author's handle onto the top of the first row.
    rows = page.locator("#authorships-group tbody tr.has_original")
    handle = rows.last.get_by_title("Drag to reorder this author")
    handle.drag_to(rows.first, target_position={"x": 20, "y": 2})

    expected = [before[-1], before[1], before[2], before[0], *before[3:-1]]
    assert families(page) == expected
    positions = page.locator("#authorships-group tbody tr.has_original td.field-position input")
    assert [int(value) for value in positions.evaluate_all("inputs => inputs.map(i => i.value)")] == list(
        range(1, len(before) + 1)
    )
    screenshot(page, "admin-author-order")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    saved = Source.objects.with_authors().get(pk=source.pk)
    assert [author.family for author in saved.ordered_authors] == expected
    assert page.csp_violations == []
