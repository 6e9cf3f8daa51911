"""``python -m circuitsim`` is the ``circuitsim`` command."""

import sys

from circuitsim.cli import main

sys.exit(main())
