"""The seed domains, each an opt-in app (``DRAMATURG_APPS``, shared/domains.py), and the built-in maintenance jobs.

Importing this package declares nothing: ``shared.runtime.build_app`` imports
``actors.maintenance`` and the enabled domains only (``actors.game`` …), so a
disabled domain's jobs are never declared, scheduled or triggerable. Each
domain package imports its own job modules; ``shared.broker`` comes first
(through ``shared.actors``), so actors bind to dramaturg's broker, never to a
default one.
"""
