"""``python -m dramaturg …`` is the ``dramaturg`` command."""

import sys

from dramaturg.entry import main

sys.exit(main())
