"""Jobs by name: the declaration of a cron job, the App's registry of them, and their message ids.

Declared by :func:`shared.actors.cron_job` (the spec rides on its actor);
collected into one :class:`Registry` per App by ``build_app``; read by the
scheduler (schedule table), the CLI (``trigger``, ``status``, ``schedule``)
and the web dyno. The name is the same everywhere: settings
(``DRAMATURG_JOB_<NAME>_…``), ``dramaturg trigger NAME``, job_history.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.errors import ConfigError, PayloadError, UnknownJob

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
CATCH_UP = ("all", "latest", "none")
#: Namespace of deterministic message ids (ticks and fan-out children).
ID_NAMESPACE = uuid.UUID("6f1c1d1e-5b7a-4d0e-9a63-8f1f0d5e2a10")


@dataclass(frozen=True)
class JobSpec:
    """A cron job's declaration; settings may override schedule, enabled, timezone, catch-up, lateness."""

    name: str
    actor: Any = field(compare=False, repr=False)
    schedule: str
    description: str = ""
    enabled: bool = True
    timezone: str | None = None
    #: Missed ticks: "all" runs each missed period once, "latest" only the last, "none" drops them.
    catch_up: str = "all"
    #: Seconds after its instant a tick may still be enqueued when catch_up is "none".
    max_lateness: float = 90.0
    #: Granularity of the (job, period) lock and of the period a run works on.
    period: str = "minute"
    #: "skip" records a concurrent run of the same period as skipped; "wait" queues behind it.
    lock: str = "skip"
    #: Seconds back a trigger's ``at`` may reach without an explicit replay (older periods are refused).
    replay_horizon: float = 7 * 24 * 3600.0


def validate_spec(spec: JobSpec) -> None:
    """Checks made when a job is declared, so a bad declaration fails at import.

    Raises:
        ValueError: a name that is not kebab-case, or an unknown catch-up policy.
    """
    if not NAME_RE.match(spec.name):
        raise ValueError(f"job name {spec.name!r} must be kebab-case (e.g. 'process-conversations')")
    if spec.catch_up not in CATCH_UP:
        raise ValueError(f"job {spec.name!r}: catch_up must be one of {CATCH_UP}")


@dataclass(frozen=True)
class Registry:
    """Every cron job of one App by name, taken from its declared actors (``actor.job_spec``)."""

    jobs: Mapping[str, JobSpec] = field(default_factory=dict)
    #: Which app (not enabled in this App) declares a job name, for the error of :meth:`job`.
    not_enabled: Callable[[str], str | None] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_actors(cls, actors: Iterable[Any], *, not_enabled: Callable[[str], str | None] | None = None) -> Registry:
        """The jobs of the cron actors among ``actors``.

        Parameters:
            not_enabled: names the app that declares a job this registry lacks, if any.

        Raises:
            ConfigError: two actors declare the same job name.
        """
        jobs: dict[str, JobSpec] = {}
        for actor in actors:
            spec = getattr(actor, "job_spec", None)
            if spec is None:
                continue
            if spec.name in jobs:
                raise ConfigError(
                    f"job {spec.name!r} is declared twice ({jobs[spec.name].actor.actor_name}, {actor.actor_name})"
                )
            jobs[spec.name] = spec
        return cls(dict(sorted(jobs.items())), not_enabled)

    def job(self, name: str) -> JobSpec:
        """The job called ``name``.

        Raises:
            UnknownJob: naming the app to enable when a disabled one declares it,
                else listing the valid names and the closest match.
        """
        try:
            return self.jobs[name]
        except KeyError:
            app = self.not_enabled(name) if self.not_enabled else None
            if app is not None:
                raise UnknownJob(
                    f"job {name!r} belongs to the app {app!r}, which is not enabled: add it to DRAMATURG_APPS"
                ) from None
            close = difflib.get_close_matches(name, self.jobs, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UnknownJob(f"unknown job {name!r}.{hint} Valid jobs: {', '.join(self.jobs)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.jobs

    def __iter__(self) -> Iterator[str]:
        return iter(self.jobs)


def env_name(job: str) -> str:
    """``process-conversations`` → ``PROCESS_CONVERSATIONS`` (the settings key)."""
    return job.upper().replace("-", "_")


def tick_id(job: str, tick_iso: str) -> str:
    """The message id of ``job``'s tick at an instant: equal across schedulers, so enqueued once."""
    return name_id(f"tick|{job}|{tick_iso}")


#: The kwargs key of a chunked child's payloads (``fan_out(..., chunk=N)``); a pydantic field
#: cannot start with ``_``, so it never collides with a payload model's own fields.
CHUNK_KEY = "_items"


def chunk_payloads(kwargs: dict[str, Any], actor_name: str) -> list[dict[str, Any]]:
    """The entity payloads a child message carries: its kwargs, or each of a chunk's.

    Raises:
        PayloadError: a chunk that is not a list of objects, or has other kwargs beside it.
    """
    if CHUNK_KEY not in kwargs:
        return [kwargs]
    items = kwargs[CHUNK_KEY]
    if len(kwargs) != 1 or not isinstance(items, list) or not all(isinstance(one, dict) for one in items):
        raise PayloadError(f"invalid chunk for {actor_name}: {CHUNK_KEY} must be the only argument, a list of objects")
    return items


def child_id(job: str, entity: str, period: str) -> str:
    """The message id of a fan-out child: the idempotency key (job, entity, period)."""
    return name_id(f"item|{job}|{entity}|{period}")


_NAMESPACE_BYTES = ID_NAMESPACE.bytes


def name_id(name: str) -> str:
    """``str(uuid.uuid5(ID_NAMESPACE, name))``, in a fifth of its time: a fan-out's parent names
    100,000 children, and ``uuid.UUID`` checks and builds an object only to be printed."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8"), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
