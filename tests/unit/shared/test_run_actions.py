"""Payload validation of the job API, before anything is written (no I/O)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from shared.errors import PayloadRejected
from shared.run_actions import Target, validate_payload


class Args(BaseModel):
    days: int
    dry_run: bool = False


class FakeActor:
    def __init__(self, fn) -> None:
        self.fn = fn


def test_cron_job_arguments_are_validated_with_its_args_model():
    target = Target("cron", "report", actor=None, model=Args)
    assert validate_payload(target, {"days": "3"}) == {"tick": None, "args": {"days": 3, "dry_run": False}}
    with pytest.raises(PayloadRejected) as exc:
        validate_payload(target, {"days": "many"})
    assert exc.value.errors[0]["field"] == "days"


def test_item_payload_errors_name_nested_fields():
    class Inner(BaseModel):
        id: int

    class Payload(BaseModel):
        inner: Inner

    with pytest.raises(PayloadRejected) as exc:
        validate_payload(Target("item", "x", actor=None, model=Payload), {"inner": {"id": "x"}})
    assert exc.value.errors == [{"field": "inner.id", "message": exc.value.errors[0]["message"]}]


def test_plain_actor_payload_is_checked_against_its_signature():
    def send(user_id: int, text: str = "") -> None: ...

    target = Target("actor", "send", actor=FakeActor(send))
    assert validate_payload(target, {"user_id": 1}) == {"user_id": 1}
    with pytest.raises(PayloadRejected) as exc:
        validate_payload(target, {"text": "hi", "colour": "red"})
    assert [e["field"] for e in exc.value.errors] == ["colour", "user_id"]


def test_a_misspelt_argument_is_refused_not_dropped():
    # Pydantic would drop the unknown key and the job would run with its default
    target = Target("cron", "report", actor=None, model=Args)
    with pytest.raises(PayloadRejected) as exc:
        validate_payload(target, {"days": 3, "dryrun": True})
    assert exc.value.errors == [{"field": "dryrun", "message": "unexpected argument"}]
    assert "invalid arguments for the job 'report'" in str(exc.value)
    with pytest.raises(PayloadRejected) as exc:
        validate_payload(Target("item", "x", actor=None, model=Args), {"days": 1, "colour": "red"})
    assert [e["field"] for e in exc.value.errors] == ["colour"]


def test_a_model_that_allows_extra_fields_keeps_them():
    class Open(BaseModel, extra="allow"):
        days: int

    assert validate_payload(Target("item", "x", actor=None, model=Open), {"days": 1, "note": "n"}) == {
        "days": 1,
        "note": "n",
    }


def test_a_cron_job_without_an_args_model_takes_no_arguments():
    target = Target("cron", "cleanup", actor=None)
    assert validate_payload(target, {}) == {"tick": None, "args": {}}
    with pytest.raises(PayloadRejected) as exc:
        validate_payload(target, {"limit": 3, "days": 1})
    assert "the job 'cleanup' takes no arguments (got days, limit)" in str(exc.value)
    assert [e["field"] for e in exc.value.errors] == ["days", "limit"]
