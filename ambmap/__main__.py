"""``python -m ambmap``: the same entry point as the ``ambmap`` command (no command opens the window)."""

import sys

from ambmap.cli import main

sys.exit(main())
