"""``python -m dramaturg …`` is the ``dramaturg`` command."""

import sys

from dramaturg.cli import main

sys.exit(main())
