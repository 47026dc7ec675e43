"""``python -m swifttune --version``, ``info``, ``plot PATH`` (an experiment's plots as PNG files),
``report PATH`` (its report page, one HTML file)."""
from __future__ import annotations

import argparse
import importlib.util
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m swifttune", description="swifttune: Ray Tune's API over a Swift engine")
    parser.add_argument("--version", action="store_true", help="print the package version")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("info", help="library path and version, CPUs seen, executors available")
    plot = sub.add_parser("plot", help="write an experiment's plots as PNG files (needs matplotlib)")
    plot.add_argument("path", help="the experiment folder (storage_path/name)")
    plot.add_argument("--out", help="where to write the PNG files (default: PATH/plots)")
    plot.add_argument("--metric", help="the metric to plot (default: the experiment's)")
    plot.add_argument("--mode", choices=["min", "max"], help="the metric's mode (default: the experiment's)")
    report = sub.add_parser("report", help="write an experiment's report page: one self-contained HTML file")
    report.add_argument("path", help="the experiment folder (storage_path/name); it may still be running")
    report.add_argument("--out", help="the HTML file to write (default: PATH/report.html)")
    report.add_argument("--metric", help="the metric to report (default: the experiment's)")
    report.add_argument("--mode", choices=["min", "max"], help="the metric's mode (default: the experiment's)")
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
    if args.command == "plot":
        return _plot(args.path, args.out, args.metric, args.mode)
    if args.command == "report":
        return _report(args.path, args.out, args.metric, args.mode)
    parser.print_help()
    return 0


def _plot(path: str, out: "str | None", metric: "str | None", mode: "str | None") -> int:
    import matplotlib

    matplotlib.use("Agg")  # files only: no window
    from pathlib import Path

    from swifttune.visualization import save_plots

    try:
        written = save_plots(path, out or Path(path) / "plots", metric=metric, mode=mode)
    except (ValueError, TypeError) as e:
        print(f"python -m swifttune plot: {e}", file=sys.stderr)
        return 2
    for name, what in written.items():
        print(f"{what}" if isinstance(what, Path) else f"{name}: not drawn: {what}")
    return 0



def _report(path: str, out: "str | None", metric: "str | None", mode: "str | None") -> int:
    import matplotlib

    matplotlib.use("Agg")  # files only: no window
    from swifttune.visualization.report import write_report

    try:
        print(write_report(path, out, metric=metric, mode=mode))
    except (ValueError, TypeError) as e:
        print(f"python -m swifttune report: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
