"""The API's Swagger UI page, served by the project itself, lists the endpoints and runs one."""

from playwright.sync_api import expect

from .conftest import screenshot


def test_the_swagger_ui_lists_the_endpoints_and_tries_one(page, site):
    requests_elsewhere = []
    page.on("request", lambda request: request.url.startswith(site) or requests_elsewhere.append(request.url))
    page.goto(f"{site}/api/v1/docs/")
    expect(page.get_by_text("Kratom evidence base API").first).to_be_visible()
    operation = page.locator("#operations-sources-sources_retrieve")
    expect(operation).to_be_visible()
    operation.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_placeholder("key").fill("Kruegel2016")
    page.get_by_role("button", name="Execute").click()
    server_response = page.locator(".responses-wrapper").first
    expect(server_response).to_contain_text("Server response")
    expect(server_response).to_contain_text('"doi": "10.1021/jacs.6b00360"')
    screenshot(page, "api-swagger-ui")
    assert requests_elsewhere == [] and page.csp_violations == []
