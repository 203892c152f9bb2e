"""The listening thread when the listener is closed while it reconnects."""

from __future__ import annotations

from shared.listener import Listener


class ClosedDuringReconnect(Listener):
    """A reconnect that succeeds, then ``close()`` (another thread's) drops the connection
    before the thread reads it back: the moment a worker shuts down while the database returns."""

    def __init__(self) -> None:
        super().__init__(lambda: "unused: no connection is made", connect_timeout=1)
        self.reconnects = 0

    def _reconnect(self) -> bool:
        self.reconnects += 1
        self.close()
        return True


def test_a_listener_closed_right_after_its_reconnect_stops_instead_of_selecting_on_no_connection():
    listener = ClosedDuringReconnect()
    # Before the fix the loop passed None to select() and died with a TypeError.
    listener._run()
    assert listener.reconnects == 1
    assert not listener.connected
