import sys

from w2gm.cli import main

sys.exit(main())
