import sys

from surge.cli import main

sys.exit(main())
