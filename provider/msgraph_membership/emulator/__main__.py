"""``python -m msgraph_membership.emulator serve ...``"""

import sys

from .cli import main

sys.exit(main())
