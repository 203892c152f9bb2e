"""Secrets never reach logs or stored text: every URL form, generated secrets in every position."""

from __future__ import annotations

import json
import logging
import sys
from urllib.parse import quote, quote_plus

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared.db import mask_url
from shared.redact import RedactingFilter, redact, redact_data, secrets_in_url
from shared.settings import load_settings

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#: Characters a password may hold, unencoded reserved ones included (no blanks or quotes:
#: those end a URL in any text).
PASSWORD_CHARS = ALNUM + "-._~!$&()*+,;=:@/#?%[]^|{}`"


def _secret(alphabet: str = PASSWORD_CHARS) -> st.SearchStrategy[str]:
    # A secret has some body: at least 8 characters, 4 of them letters or digits.
    return st.text(alphabet, min_size=8, max_size=40).filter(lambda s: sum(c in ALNUM for c in s) >= 4)


token_chars = ALNUM + "_-"
secrets = _secret()
plain = _secret(ALNUM)


def test_redact_replaces_every_secret():
    assert redact("token 123:abc in https://x/bot123:abc/send", ["123:abc"]) == "token *** in https://x/bot***/send"


@settings(max_examples=300)
@given(password=secrets, user=plain)
def test_userinfo_of_any_url_is_redacted_without_knowing_the_secret(password, user):
    # The surrounding text of every template below must not contain the secret by chance
    assume(
        password
        not in "POST https://@voice.example.com/v1/calls failed connection to postgresql://@db.internal:5432/app refused"
    )
    # Given a base URL with credentials in its userinfo, raw or percent-encoded
    for text in (
        f"POST https://{user}:{password}@voice.example.com/v1/calls failed",
        f"POST https://{user}:{quote(password, safe='')}@voice.example.com/v1/calls failed",
        f"connection to postgresql://{user}:{password}@db.internal:5432/app refused",
    ):
        # When it is redacted with no secret known
        out = redact(text)
        # Then the password is gone, the host is still there
        assert password not in out and quote(password, safe="") not in out, out
        assert "voice.example.com" in out or "db.internal" in out, out


@settings(max_examples=200)
@given(value=secrets, name=st.sampled_from(["password", "api_key", "apikey", "token", "access_token", "sig", "secret"]))
def test_query_parameters_named_like_secrets_are_redacted(value, name):
    assume(quote_plus(value) not in "GET https://hooks.example.com/x?&page=2 -> 500 postgresql://app@db:5432/app")
    for text in (
        f"GET https://hooks.example.com/x?{name}={quote_plus(value)}&page=2 -> 500",
        f"postgresql://app@db:5432/app?sslmode=require&{name}={quote(value, safe='')}",
    ):
        out = redact(text)
        assert quote_plus(value) not in out and quote(value, safe="") not in out, out
        assert "page=2" in out or "sslmode=require" in out


@settings(max_examples=200)
@given(bot=st.integers(min_value=1000, max_value=10**10), token=st.text(token_chars, min_size=16, max_size=46))
def test_telegram_path_tokens_are_redacted(bot, token):
    text = f"HTTPSConnectionPool(host='api.telegram.org'): Max retries exceeded with url: /bot{bot}:{token}/sendMessage"
    out = redact(text)
    assert f"{bot}:{token}" not in out and "/sendMessage" in out


@settings(max_examples=300)
@given(secret=secrets, prefix=st.text(ALNUM + " ", max_size=20))
def test_a_known_secret_is_redacted_in_every_form_it_is_printed_in(secret, prefix):
    # Raw, percent-encoded (a URL), repr-escaped (a traceback) and JSON-escaped (a stored body)
    for form in (secret, quote(secret, safe=""), quote_plus(secret), repr(secret)[1:-1], json.dumps(secret)[1:-1]):
        out = redact(f"{prefix}: {form} rejected", [secret])
        assert form not in out, (form, out)


@settings(max_examples=200)
@given(head=plain, sep=st.sampled_from("@/#?:"), tail=plain, user=plain)
def test_a_password_with_unencoded_specials_leaks_no_fragment(head, sep, tail, user):
    assume(
        not any(
            p in "could not translate host name db.internal to address invalid port in "
            "password authentication failed for postgresql://:5432/app"
            for p in (head, tail)
        )
    )
    # Given DATABASE_URL with a password a URL parser cuts in two, and the error a driver prints
    url = f"postgresql://{user}:{head}{sep}{tail}@db.internal:5432/app"
    known = secrets_in_url(url)
    for text in (
        f'could not translate host name "{tail}@db.internal" to address',
        f"invalid port in {url!r}",
        f"password authentication failed for {head}",
    ):
        out = redact(text, known)
        assert head not in out and tail not in out, (text, out)


def test_settings_secrets_cover_every_configured_url():
    s = load_settings(
        {
            "DATABASE_URL": "postgresql://app@db:5432/app?password=dbQueryPw123",
            "VOICE_API_BASE": "https://vuser:voiceBasePw99@voice.example.com",
            "TELEGRAM_API_BASE": "https://tuser:telegramBasePw77@tg.example.com",
            "CHAT_WEBHOOK_URL": "https://hooks.example.com/x?token=hookTok55",
            "ALERT_WEBHOOK_URL": "https://alert:alertPw4411@alerts.example.com",
            "ANTHROPIC_BASE_URL": "https://llm.example.com/?api_key=llmKey9999",
        }
    )
    for value in ("dbQueryPw123", "voiceBasePw99", "telegramBasePw77", "hookTok55", "alertPw4411", "llmKey9999"):
        assert value in s.secrets


def test_mask_url_hides_query_passwords_and_unparseable_urls():
    assert "s3cretQ" not in mask_url("postgresql://app@db:5432/app?password=s3cretQ")
    assert "p@ss/w" not in mask_url("postgresql://app:p@ss/w#rd@db:5432/app")


def test_redact_data_reaches_every_string():
    data = {"url": "https://u:pw1234567@h/x", "items": [{"k": "Bearer abcdefgh12345678"}], "n": 3}
    out = json.dumps(redact_data(data))
    assert "pw1234567" not in out and "abcdefgh12345678" not in out and '"n": 3' in out


def test_logging_filter_scrubs_formatted_message_and_traceback():
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "call %s failed", ("https://h/botSECRET99/x",), None)
    try:
        raise RuntimeError("SECRET99 leaked")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    RedactingFilter(["SECRET99"]).filter(record)
    assert "SECRET99" not in record.getMessage() and "SECRET99" not in record.exc_text


def test_logging_filter_scrubs_url_credentials_even_with_no_secret_configured():
    record = logging.LogRecord(
        "t", logging.ERROR, __file__, 1, "cannot reach %s", ("https://u:hunter2hunter2@h/",), None
    )
    RedactingFilter([]).filter(record)
    assert "hunter2hunter2" not in record.getMessage()
