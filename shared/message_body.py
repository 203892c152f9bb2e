"""The JSON text of a message as the queue table stores it, and as COPY's text format carries it.

Dramatiq's own ``Message.encode`` builds a dict through ``dataclasses.fields`` and
makes a new ``json`` encoder per call (``separators=`` is not the default): about
12 µs a message, most of a 100,000-child fan-out's Python time. With Dramatiq's
default JSON encoder in place the same text is written with one reused encoder;
any other encoder (``dramatiq.set_encoder``) is used as it is.
"""

from __future__ import annotations

import json
import json.encoder
from typing import Any

import dramatiq
from dramatiq.encoder import JSONEncoder

#: Byte for byte what ``dramatiq.encoder.JSONEncoder`` writes (``json.dumps(data, separators=(",", ":"))``).
_JSON = json.JSONEncoder(separators=(",", ":"))
#: The same encoder's C core, made once: ``JSONEncoder.encode`` builds it anew at every call, which
#: was 40 % of a body's time. Without circular-reference bookkeeping (``markers=None``): a circular
#: payload fails with RecursionError instead of ValueError. None where the C module is missing.
_make_c_encoder = getattr(json.encoder, "c_make_encoder", None)  # CPython's _json; not a typed name
_C_ENCODE = (
    _make_c_encoder(None, _JSON.default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)
    if _make_c_encoder is not None
    else None
)


def message_body(message: Any) -> str:
    """``message.encode().decode()``, without its per-call costs when the encoder is Dramatiq's JSON."""
    if type(dramatiq.get_encoder()) is not JSONEncoder:
        return str(message.encode().decode("utf-8"))
    body = {
        "queue_name": message.queue_name,
        "actor_name": message.actor_name,
        "args": message.args,
        "kwargs": message.kwargs,
        "options": message.options,
        "message_id": message.message_id,
        "message_timestamp": message.message_timestamp,
    }
    return "".join(_C_ENCODE(body, 0)) if _C_ENCODE is not None else _JSON.encode(body)


def copy_field(text: str) -> str:
    """``text`` as one field of COPY's text format: backslash escapes; JSON never holds a raw
    tab or newline, but a custom encoder's output might."""
    text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text
