"""``python -m tradeexec.cli``."""

import sys

from tradeexec.cli.main import main

sys.exit(main())
