"""Secrets never reach logs or stored text."""

import logging

from shared.redact import RedactingFilter, redact


def test_redact_replaces_every_secret():
    assert redact("token 123:abc in https://x/bot123:abc/send", ["123:abc"]) == "token *** in https://x/bot***/send"


def test_logging_filter_scrubs_formatted_message_and_traceback():
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "call %s failed", ("https://h/botSECRET99/x",), None)
    try:
        raise RuntimeError("SECRET99 leaked")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter(["SECRET99"]).filter(record)
    assert "SECRET99" not in record.getMessage() and "SECRET99" not in record.exc_text
