"""The chat game's demo for ``dramaturg up --demo``: seed data, a Telegram-compatible sink, a narrator.

launch.py wires them into ``dramaturg up``; seed.py holds the demo players and
their timeline; telegram_sink.py shows deliveries; watch.py prints what the
jobs changed. Nothing here runs unless ``--demo`` is given.
"""
