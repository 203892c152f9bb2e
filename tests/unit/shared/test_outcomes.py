"""OutcomeLedger bookkeeping (no I/O): which claims are held, what a report turns into, what goes back."""

from __future__ import annotations

import pytest

from shared.claims import Claim
from shared.outcomes import OutcomeLedger


@pytest.fixture
def ledger() -> OutcomeLedger:
    return OutcomeLedger()


def test_a_newer_claim_of_the_same_message_stays_held_when_the_older_one_settles(ledger):
    # Given claims 1 and 2 of one message held (its retry was claimed again by this process)
    old, new = Claim("m", 1), Claim("m", 2)
    ledger.hold("q", [old, new])
    # When the old claim's ack is taken and settles
    ledger.ack(old)
    outcomes = ledger.take()
    ledger.settle(outcomes)
    # Then only the new claim is still held (and renewed)
    assert outcomes.acks == [old]
    assert ledger.held() == [new]
    assert ledger.holding("q") == 1


def test_the_ack_of_an_attempt_whose_retry_was_not_saved_becomes_a_release(ledger):
    # Given a held claim whose failed attempt could not save its retry
    claim = Claim("m", 1)
    ledger.hold("q", [claim])
    ledger.retry_not_saved(claim)
    # When Dramatiq acks it
    ledger.ack(claim)
    # Then it is released (back as it was), not acked, and no longer renewed
    outcomes = ledger.take()
    assert (outcomes.acks, outcomes.releases) == ([], [claim])
    assert ledger.held() == []


def test_holding_counts_a_queues_claims_minus_those_being_settled(ledger):
    # Given three claims of q and one of another queue, two of q reported
    a, b, c, other = Claim("a", 1), Claim("b", 1), Claim("c", 1), Claim("d", 1)
    ledger.hold("q", [a, b, c])
    ledger.hold("r", [other])
    ledger.ack(a)
    ledger.reject(b, "bad", None)
    ledger.ack(other)
    # When a writer takes them
    outcomes = ledger.take()
    # Then q's window counts only the claim that stays
    assert ledger.holding("q", settling=outcomes) == 1
    assert ledger.holding("r", settling=outcomes) == 0
    assert len(outcomes) == 3 and outcomes.settling() == [a, other, b]


def test_outcomes_that_could_not_be_written_go_back_ahead_of_newer_ones(ledger):
    # Given outcomes taken by a writer, and one more reported meanwhile
    first, second, third = Claim("a", 1), Claim("b", 1), Claim("c", 1)
    ledger.hold("q", [first, second, third])
    ledger.ack(first)
    ledger.release([second])
    taken = ledger.take()
    ledger.ack(third)
    # When the write fails
    with pytest.raises(RuntimeError), ledger.settling(taken):
        raise RuntimeError("connection lost")
    # Then the next writer gets all of them, the older first, and nothing settled
    again = ledger.take()
    assert again.acks == [first, third] and again.releases == [second]
    assert set(ledger.held()) == {first, third}


def test_a_written_batch_settles_and_leaves_nothing_pending(ledger):
    claim = Claim("a", 1)
    ledger.hold("q", [claim])
    ledger.reject(claim, "no", "{}")
    outcomes = ledger.take()
    with ledger.settling(outcomes):
        pass
    assert not ledger.has_outcomes() and ledger.held() == []
