"""dramaturg: background jobs and cron for Python apps that already run on PostgreSQL.

The distribution installs one top-level package, ``dramaturg``. Its
subpackages are the repository's folders — ``shared`` (the
platform), ``actors`` (the domains), ``scheduler`` and
``migrations`` — plus the entry layer in this folder (the CLI and
``up``), which builds the App once and may import everything below it.

This module imports nothing, so ``dramaturg --help`` stays fast.
"""
