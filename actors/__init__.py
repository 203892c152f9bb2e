"""Every domain's actors. Importing this package declares them all on the broker.

``shared.broker`` is imported first (through ``shared.actors``) so actors bind to
dramaturg's broker, never to a default one.
"""

from actors import challenges, example, game, maintenance, tasks  # noqa: F401
