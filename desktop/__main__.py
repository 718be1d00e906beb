"""`python -m desktop`: the same as the `readingroom` command."""

from desktop.cli import main

raise SystemExit(main())
