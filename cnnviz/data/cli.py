"""The command line: ``status`` prints what is here, ``fetch NAME|all`` prepares data for offline use."""

from __future__ import annotations

import argparse
import sys

from cnnviz.data.catalog import DATASET_NAMES, DatasetUnavailable, dataset_info
from cnnviz.data.fetching import fetch
from cnnviz.data.files import DatasetStatus, dataset_status


def _status_table(statuses: list[DatasetStatus]) -> str:
    rows = [("dataset", "title", "ready", "where / how to get it")]
    rows += [(s.name, s.title, "yes" if s.available else "no", s.location or s.how_to_get)
             for s in statuses]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3]
        for row in rows
    )


def main(argv: list[str] | None = None) -> int:
    """`status` prints what is here; `fetch NAME|all` prepares data for offline use."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnviz.data",
        description="See which datasets cnnviz can load offline, and fetch the missing ones.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="show which datasets are on this machine")
    fetch_parser = commands.add_parser("fetch", help="prepare a dataset for offline use")
    fetch_parser.add_argument("name", choices=(*DATASET_NAMES, "all"))
    args = parser.parse_args(argv)

    if args.command == "status":
        print(_status_table(dataset_status()))
        return 0
    failed = False
    for name in DATASET_NAMES if args.name == "all" else (args.name,):
        try:
            print(f"{dataset_info(name).title}: ready in {fetch(name)}")
        except DatasetUnavailable as error:
            print(error, file=sys.stderr)
            failed = True
    return 1 if failed else 0
