"""The bundle's entry point: the window, or the command line when given a subcommand."""

from desktop.cli import main

raise SystemExit(main())
