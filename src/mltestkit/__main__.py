"""``python -m mltestkit`` runs the ``mltestkit`` command."""

import sys

from .cli import main

sys.exit(main())
