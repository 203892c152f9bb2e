"""Message ids and bodies built on the fast paths are exactly what the slow ones build."""

from __future__ import annotations

import uuid

import dramatiq
import pytest
from dramatiq.encoder import JSONEncoder
from dramatiq.message import Message

from shared.jobs import ID_NAMESPACE, child_id, name_id, tick_id
from shared.message_body import copy_field, message_body


@pytest.mark.parametrize("name", ["", "item|decay|42|2026-12-02T18", "tick|é|ü", "x" * 1000, "tab\there"])
def test_name_id_is_uuid5_in_the_platform_namespace(name):
    assert name_id(name) == str(uuid.uuid5(ID_NAMESPACE, name))


def test_child_and_tick_ids_keep_their_keys():
    # A re-run for the same period must name its children exactly as before.
    assert child_id("decay", "7", "2026-12-02T18") == str(uuid.uuid5(ID_NAMESPACE, "item|decay|7|2026-12-02T18"))
    assert tick_id("decay", "2026-12-02T18:00:00+00:00") == str(
        uuid.uuid5(ID_NAMESPACE, "tick|decay|2026-12-02T18:00:00+00:00")
    )


def test_message_body_is_what_dramatiq_encodes():
    message = Message(
        queue_name="q", actor_name="a", args=(1, "x"), kwargs={"é": [1, None], "n": 1.5}, options={"o": {"p": True}}
    )
    assert message_body(message) == message.encode().decode()


class _Upper(JSONEncoder):
    def encode(self, data):  # type: ignore[no-untyped-def]
        return super().encode(data).upper()


def test_message_body_uses_a_custom_encoder_as_it_is():
    message = Message(queue_name="q", actor_name="a", args=(), kwargs={}, options={})
    previous = dramatiq.get_encoder()
    dramatiq.set_encoder(_Upper())
    try:
        assert message_body(message) == message.encode().decode() == message.encode().decode().upper()
    finally:
        dramatiq.set_encoder(previous)


def test_copy_field_escapes_what_copy_text_format_would_read_as_structure():
    assert copy_field('{"a":"b\\\\c"}') == '{"a":"b\\\\\\\\c"}'
    assert copy_field("a\tb\nc\rd") == "a\\tb\\nc\\rd"


def test_message_body_refuses_a_payload_that_is_not_json():
    # Given payloads JSON cannot hold (a set, a structure containing itself), When a body is built, Then it raises
    circular: dict = {}
    circular["self"] = circular
    for kwargs in ({"s": {1, 2}}, circular):
        with pytest.raises((TypeError, ValueError, RecursionError)):
            message_body(Message(queue_name="q", actor_name="a", args=(), kwargs=kwargs, options={}))


@pytest.mark.parametrize(
    "kwargs",
    [{"f": 1e300, "nan": float("nan"), "neg": -0.0}, {"t": True, "n": None, "i": 2**70}, {"é\u2028": "\ud800"}],
)
def test_message_body_writes_numbers_and_unicode_as_dramatiq_does(kwargs):
    message = Message(queue_name="q", actor_name="a", args=(), kwargs=kwargs, options={"retries": 1})
    assert message_body(message) == message.encode().decode()
