"""`python -m dreamreel ...` is the `dreamreel` command."""

import sys

from .cli import main

sys.exit(main())
