"""`python -m desktop`: the same as the `readingroom` command."""

from desktop.launcher import main

raise SystemExit(main())
