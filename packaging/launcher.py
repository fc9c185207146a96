"""The bundle's entry point: the same `cemviewer` command as the installed package."""

import sys

from cemviewer.cli import main

if __name__ == "__main__":
    sys.exit(main())
