"""The bundle's entry point: the same `cemviewer` command as the installed package."""

import multiprocessing
import sys

from cemviewer.cli import main

if __name__ == "__main__":
    # Compressed images decode in spawned worker processes (cemviewer.services.decode_processes); in a frozen
    # bundle those processes start this same executable, which must hand them over to multiprocessing.
    multiprocessing.freeze_support()
    sys.exit(main())
