"""Social account tokens, encrypted at rest with Fernet (``cryptography``) under ``CONTENT_TOKEN_KEY``.

Only ciphertext is stored; the clear token lives in memory for the one call
that needs it and is never logged, returned or put in an error (errors name the
account, not the token).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.content.config import ContentConfig
from shared.errors import ChannelRejected

if TYPE_CHECKING:
    from cryptography.fernet import Fernet


def _fernet(config: ContentConfig) -> Fernet:
    from cryptography.fernet import Fernet  # the [content] extra, imported when a token is touched

    if not config.token_key:
        raise ChannelRejected("CONTENT_TOKEN_KEY is not set: account tokens cannot be read or stored")
    try:
        return Fernet(config.token_key.encode())
    except ValueError:
        raise ChannelRejected("CONTENT_TOKEN_KEY is not a Fernet key (32 url-safe base64-encoded bytes)") from None


def seal(config: ContentConfig, token: str) -> str:
    return str(_fernet(config).encrypt(token.encode()).decode())


def unseal(config: ContentConfig, sealed: str | None, *, what: str) -> str:
    """The clear token.

    Raises:
        ChannelRejected: none stored, or it does not decrypt under this key.
    """
    from cryptography.fernet import InvalidToken

    if not sealed:
        raise ChannelRejected(f"{what}: no token stored")
    try:
        return str(_fernet(config).decrypt(sealed.encode()).decode())
    except InvalidToken:
        raise ChannelRejected(f"{what}: the stored token does not decrypt under CONTENT_TOKEN_KEY") from None
