"""The content app's pure parts: platform limits, HTML extraction, Retry-After parsing, token sealing."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from actors.content import extract, tokens, writer
from actors.content.config import ContentConfig
from actors.content.fetch import DEFAULT_RETRY_AFTER, retry_after_seconds
from shared.errors import ChannelRejected


def test_a_text_within_its_limit_is_kept_whitespace_collapsed():
    assert writer.fit("  hello   world \n", 280) == "hello world"


def test_a_text_over_its_limit_is_cut_at_a_word_with_an_ellipsis():
    text = "word " * 100
    cut = writer.fit(text, 280)
    assert len(cut) <= 280 and cut.endswith("word…")


@pytest.mark.parametrize(("platform", "limit"), [("x", 280), ("X", 280), ("linkedin", 3000), ("somewhere", 2000)])
def test_platform_limits(platform, limit):
    assert writer.limit_of(platform) == limit


def test_html_extraction_keeps_the_article_and_drops_scripts_navigation_and_footer():
    page = (
        "<html><head><title> Hi </title><style>p{}</style></head><body><nav>menu</nav>"
        "<article><p>Main <b>text</b></p><script>x()</script></article><footer>foot</footer></body></html>"
    )
    assert extract.html(page) == extract.Extracted("Hi", "Main text")


def test_retry_after_takes_seconds_and_falls_back_without_a_usable_header():
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("-3") == 0
    assert retry_after_seconds(None) == retry_after_seconds("soon") == DEFAULT_RETRY_AFTER


def test_tokens_are_sealed_and_need_the_same_key():
    config = ContentConfig(CONTENT_TOKEN_KEY=Fernet.generate_key().decode())
    sealed = tokens.seal(config, "secret-token-1")
    assert "secret-token-1" not in sealed and tokens.unseal(config, sealed, what="a") == "secret-token-1"
    other = ContentConfig(CONTENT_TOKEN_KEY=Fernet.generate_key().decode())
    with pytest.raises(ChannelRejected, match="does not decrypt") as err:
        tokens.unseal(other, sealed, what="a")
    assert "secret-token-1" not in str(err.value)
    with pytest.raises(ChannelRejected, match="CONTENT_TOKEN_KEY is not set"):
        tokens.seal(ContentConfig(), "x")
