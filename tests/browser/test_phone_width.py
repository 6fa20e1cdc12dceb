"""No public page scrolls sideways on a phone: at 390 px wide, the document is no wider than the screen
(tables become stacked rows or scroll inside their own box). Measured with the browser's scrollWidth."""

import pytest

from .conftest import screenshot

PHONE = {"width": 390, "height": 844}

PUBLIC_PAGES = [
    "/",
    "/sources/",
    "/sources/?q=abuse+liability&design=cross-sectional-survey",
    "/sources/Kruegel2016/",
    "/sources/Smith2022FP/",
    "/claims/",
    "/articles/kratom-for-chronic-pain/",
    "/articles/kratom-for-chronic-pain/findings/",
    "/adverse-effects/",
    "/adverse-effects/?reported_in=animals",
    "/evidence-map/",
    "/no-such-page/",
]

# Elements reaching past the right edge, outside any box that scrolls on its own: what makes the page wide.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => { for (let e = el.parentElement; e; e = e.parentElement) {
    const o = getComputedStyle(e).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  return [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !scrolls(el))
    .slice(0, 8).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
      + ' ' + Math.round(el.getBoundingClientRect().right));
}"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_no_public_page_scrolls_sideways_at_390_px(phone, site):
    from evidence.models import Claim

    claim = Claim.objects.filter(checkworthy=True).order_by("pk").first()
    wide = {}
    for path in [*PUBLIC_PAGES, claim.get_absolute_url()]:
        phone.goto(site + path)
        # Unfolded, as a reader who opens every statement sees it.
        phone.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        scroll_width = phone.evaluate("document.documentElement.scrollWidth")
        if scroll_width > PHONE["width"]:
            wide[path] = (scroll_width, phone.evaluate(OVERFLOWING))
            screenshot(phone, "phone-overflow" + path.replace("/", "-").replace("?", "_"))
    assert not wide, "\n".join(f"{path}: {width} px: {elements}" for path, (width, elements) in wide.items())
