"""JobOptions: declares the actor options dramaturg's decorators set, so Dramatiq accepts them.

Dramatiq rejects undeclared actor options ("Did you forget to add a
middleware?"); this keeps that check useful instead of switching it off.
``periodic`` stays periodiq's option name, so ``periodic=cron(...)``
declarations read as they always did.
"""

from __future__ import annotations

from dramatiq import Middleware


class JobOptions(Middleware):
    @property
    def actor_options(self) -> set[str]:
        return {"periodic", "catch_up", "max_lateness", "lock", "period", "payload_model", "args_model", "kind"}
