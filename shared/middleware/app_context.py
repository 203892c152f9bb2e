"""AppContext: hands the App to the actors it runs.

The App is built after the broker (``build_app`` binds it here once); for
each message this middleware sets it in a contextvar, read by the job
wrappers in ``shared/actors.py`` as ``ctx.app``, and clears it in the paired
after-hooks — the pattern of Dramatiq's ``CurrentMessage``. It sits before
every middleware that needs the App, so their after-hooks still see it.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

from dramatiq import Middleware
from dramatiq.broker import MessageProxy

from shared.app import App
from shared.errors import ConfigError

if TYPE_CHECKING:
    from shared.postgres_broker import PostgresBroker

_current: contextvars.ContextVar[App | None] = contextvars.ContextVar("dramaturg_app", default=None)


class AppContext(Middleware):
    def __init__(self) -> None:
        self.app: App | None = None
        self._tokens: dict[str, contextvars.Token[App | None]] = {}

    def bind(self, app: App) -> None:
        """Called once by ``build_app``: the App every message of this broker runs in."""
        self.app = app

    @staticmethod
    def current() -> App:
        """The App of the message this thread is running.

        Raises:
            ConfigError: called outside a message run by a worker of a built App.
        """
        app = _current.get()
        if app is None:
            raise ConfigError("no App for this call: actors run in a worker of an App built by build_app()")
        return app

    def before_process_message(self, broker: PostgresBroker, message: MessageProxy) -> None:
        self._tokens[message.message_id] = _current.set(self.app)

    def after_process_message(
        self,
        broker: PostgresBroker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        self._reset(message)

    def after_skip_message(self, broker: PostgresBroker, message: MessageProxy) -> None:
        self._reset(message)

    def _reset(self, message: MessageProxy) -> None:
        token = self._tokens.pop(message.message_id, None)
        if token is not None:
            _current.reset(token)
