"""``python -m msgraph_membership.emulator serve ...``"""

import sys

from .console import main

sys.exit(main())
