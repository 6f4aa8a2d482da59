import sys

from ladeplan.cli import main

sys.exit(main())
