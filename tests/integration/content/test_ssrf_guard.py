"""The SSRF guard, on (the default): private, loopback and link-local addresses are refused, and so are redirects to them."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from actors.content.fetch import refusal
from tests.integration.content.conftest import make_org, make_source, run
from tests.integration.content.routes import RoutedSink, html_page
from tests.support.http_sink import Reply


@pytest.fixture
def settings_overrides(remote) -> dict:
    # The guard is on; only the first site's own host:port is trusted, so a redirect elsewhere is checked.
    return {"CONTENT_FETCH_ALLOW_HOSTS": urlsplit(remote.url).netloc}


@pytest.fixture
def internal():
    """A second loopback server standing for an internal service (not trusted)."""
    with RoutedSink() as sink:
        sink.route("GET", "/admin", html_page("Internal", "internal secrets"))
        yield sink


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://localhost/",
    ],
)
def test_private_loopback_and_link_local_urls_are_refused(url):
    assert "private, loopback or link-local" in (refusal(url, allow_private=False) or "")


def test_other_schemes_are_refused_and_the_switch_allows_private_addresses():
    assert "only http(s)" in refusal("file:///etc/passwd", allow_private=True)
    assert refusal("http://10.1.2.3/", allow_private=True) is None


def test_scraping_an_internal_address_fails_at_once_without_a_request(app, worker, raw, internal):
    source = make_source(raw, make_org(raw), f"{internal.url}/admin")
    result = run(app, "content.scrape_website", source_id=source)
    assert result["status"] == "failed" and result["attempt"] == 1
    assert "resolves to 127.0.0.1, a private, loopback or link-local address" in result["error"]
    assert internal.requests() == []


@pytest.mark.parametrize("target", ["internal", "http://10.0.0.7/x", "http://169.254.169.254/latest/meta-data/"])
def test_a_redirect_to_a_private_address_is_refused_and_not_followed(app, worker, raw, remote, internal, target):
    # Given a trusted site whose page redirects to an internal address
    location = f"{internal.url}/admin" if target == "internal" else target
    remote.route("GET", "/go", Reply(status=302, headers={"Location": location}))
    source = make_source(raw, make_org(raw), f"{remote.url}/go")
    # When it is scraped
    result = run(app, "content.scrape_website", source_id=source)
    # Then the redirect is refused at once, and the internal service never sees a request
    assert result["status"] == "failed" and result["attempt"] == 1
    assert "refused" in result["error"] and "private, loopback or link-local" in result["error"]
    assert internal.requests() == [] and len(remote.hits("GET", "/go")) == 1
