import sys

from thesis_lib.cli import main

sys.exit(main())
