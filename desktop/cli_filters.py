"""The filter and sort options that `search` and `saved add` share."""

from __future__ import annotations

import argparse

from desktop.periods import is_period
from index import SortOrder


def period_argument(text: str) -> str:
    """A command line's period argument: a year or a month, else a usage error."""
    if not is_period(text):
        raise argparse.ArgumentTypeError(
            f"expected a year (2022) or a month (2022-03), not {text!r}"
        )
    return text


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """--sort, --source, --year, --folder and --period."""
    parser.add_argument("--sort", choices=[s.value for s in SortOrder], default="relevance")
    parser.add_argument("--source", action="append", default=[], help="only this outlet")
    parser.add_argument("--year", action="append", type=int, default=[], help="only this year")
    parser.add_argument("--folder", action="append", default=[], help="only this folder")
    parser.add_argument(
        "--period",
        action="append",
        default=[],
        metavar="YYYY[-MM]",
        type=period_argument,
        help="only this year or month (published, else the file's date)",
    )
