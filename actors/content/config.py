"""The content app's settings (CONTENT_* and DRAMATURG_SCRAPE_ALLOW_PRIVATE), validated once by the App.

Every remote the app calls has a configurable base URL, so tests and the demo
point them at local servers: the social platform's REST API (metrics and
publishing), its OAuth token endpoint and the image API. The model is the
platform's own (``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL``, ``ANTHROPIC_MODEL``);
without a key the offline generator writes the texts.
"""

from __future__ import annotations

from pydantic import AnyHttpUrl, ConfigDict, Field, field_validator

from shared.redact import secrets_in_url
from shared.settings import EnvSettings


class ContentConfig(EnvSettings):
    model_config = ConfigDict(title="content configuration")

    # --- remotes ---------------------------------------------------------------
    #: The social platform's REST API: GET /v1/posts/{id}/metrics, POST /v1/posts.
    social_api_base: AnyHttpUrl | None = Field(None, alias="CONTENT_SOCIAL_API_BASE")
    #: The OAuth2 token endpoint (refresh grant) and this client's credentials.
    oauth_token_url: AnyHttpUrl | None = Field(None, alias="CONTENT_OAUTH_TOKEN_URL")
    oauth_client_id: str = Field("dramaturg", alias="CONTENT_OAUTH_CLIENT_ID")
    oauth_client_secret: str | None = Field(None, alias="CONTENT_OAUTH_CLIENT_SECRET")
    #: The image API: POST /v1/images {"prompt": …} → {"url": …}.
    image_api_base: AnyHttpUrl | None = Field(None, alias="CONTENT_IMAGE_API_BASE")
    image_api_key: str | None = Field(None, alias="CONTENT_IMAGE_API_KEY")
    #: The Fernet key social account tokens are encrypted with (``Fernet.generate_key()``).
    token_key: str | None = Field(None, alias="CONTENT_TOKEN_KEY")

    # --- fetching (websites, feeds, documents) -------------------------------------
    #: Off by default: URLs resolving to private, loopback or link-local addresses are refused.
    scrape_allow_private: bool = Field(False, alias="DRAMATURG_SCRAPE_ALLOW_PRIVATE")
    #: Trusted hosts fetched even on a private address while the guard is on ("intranet.example:8080,wiki").
    fetch_allow_hosts: tuple[str, ...] = Field((), alias="CONTENT_FETCH_ALLOW_HOSTS")
    user_agent: str = Field("dramaturg-content/0.1 (+context fetcher)", alias="CONTENT_USER_AGENT")
    fetch_timeout: float = Field(10.0, alias="CONTENT_FETCH_TIMEOUT", gt=0, le=120)
    max_bytes: int = Field(5 * 1024 * 1024, alias="CONTENT_MAX_BYTES", ge=1024)
    max_redirects: int = Field(5, alias="CONTENT_MAX_REDIRECTS", ge=0, le=20)
    #: Stored documents (``file:`` sources) are read from this folder only.
    document_dir: str | None = Field(None, alias="CONTENT_DOCUMENT_DIR")

    # --- policy ---------------------------------------------------------------------
    #: Consecutive final failures after which a source is unhealthy (skipped by the scheduled scrape).
    unhealthy_after: int = Field(5, alias="CONTENT_UNHEALTHY_AFTER", ge=1)
    #: Accounts whose token expires within this many seconds are refreshed.
    refresh_within_seconds: float = Field(3600.0, alias="CONTENT_REFRESH_WITHIN_SECONDS", gt=0)
    fanout_page: int = Field(1000, alias="CONTENT_FANOUT_PAGE", ge=1)

    @field_validator("fetch_allow_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(h.strip().lower() for h in value.split(",") if h.strip())
        return value

    @property
    def secrets(self) -> tuple[str, ...]:
        """This app's values that must never reach logs or history (beside the platform's own)."""
        values = [self.oauth_client_secret, self.image_api_key, self.token_key]
        for url in (self.social_api_base, self.oauth_token_url, self.image_api_base):
            values += secrets_in_url(str(url) if url else None)
        return tuple(v for v in values if v)


#: Spec 002's "attempts 3, backoff 1m/5m/15m": up to 3 retries at exactly 1, 5 and 15 minutes.
RETRY_DELAYS = (60, 300, 900)
