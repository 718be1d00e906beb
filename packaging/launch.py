"""The bundle's entry point: the window, or the command line when given a subcommand."""

import multiprocessing

if __name__ == "__main__":
    # Large indexing runs start worker processes (index/parallel.py): in the bundle they
    # are this executable again, which must become a worker instead of opening a window.
    multiprocessing.freeze_support()

    from desktop.launcher import main

    raise SystemExit(main())
