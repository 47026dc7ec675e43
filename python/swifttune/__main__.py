"""``python -m swifttune --version`` and ``python -m swifttune info``."""
from __future__ import annotations

import argparse
import importlib.util
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m swifttune", description="swifttune: Ray Tune's API over a Swift engine")
    parser.add_argument("--version", action="store_true", help="print the package version")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("info", help="library path and version, CPUs seen, executors available")
    args = parser.parse_args(argv)
    import swifttune

    if args.version:
        print(swifttune.__version__)
        return 0
    if args.command == "info":
        from swifttune._lib import lib, library_path

        executors = ["thread"]
        if importlib.util.find_spec("cloudpickle") is not None:
            executors.insert(0, "process")
        print(f"swifttune {swifttune.__version__}")
        print(f"library: {library_path()}")
        print(f"library version: {lib.version()}")
        print(f"CPUs: {swifttune._cpus()}")
        print(f"executors: {', '.join(executors)}")
        print(f"python: {sys.version.split()[0]} ({sys.executable})")
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
