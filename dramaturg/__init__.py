"""dramaturg's entry layer: the ``dramaturg`` command (CLI, ``up``) and the chat game demo.

It builds the App once and may import everything below it: ``actors/`` and
``scheduler/``, which import ``shared/`` (the platform). Nothing below imports
this package. This module imports nothing, so ``dramaturg --help`` stays fast.
"""
