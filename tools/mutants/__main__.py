"""``python -m mutants``: run the registry (see the package's docstring)."""

import sys

from mutants import main

sys.exit(main())
