#!/usr/bin/env python3
"""Tags swifttune's wheel with the manylinux platform tag that auditwheel reports for it.

The wheel is built as py3-none-linux_<arch> (a platform wheel: its files in the platlib root).
`auditwheel show` reads the native library's symbol versions and names the most compatible
manylinux tag; the wheel is retagged with it (`wheel tags`), the library untouched: it links the
Swift runtime statically and needs only libraries manylinux allows.

Usage: tag_wheel.py WHEEL [--check]
With --check nothing is changed: the wheel must have its files in the platlib root (nothing under
.data/purelib), `Root-Is-Purelib: false`, and a platform tag equal to the one auditwheel reports.
"""
import re
import subprocess
import sys
import zipfile
from pathlib import Path


def auditwheel_tag(wheel: Path) -> str:
    out = subprocess.run([sys.executable, "-m", "auditwheel", "show", str(wheel)], check=True,
                         capture_output=True, text=True).stdout
    m = re.search(r'platform\s+tag:\s+"([^"]+)"', " ".join(out.split()))
    if not m:
        raise SystemExit(f"auditwheel show named no platform tag for {wheel}:\n{out}")
    return m.group(1)


def platform_tag(wheel: Path) -> str:
    return wheel.name[:-len(".whl")].split("-")[-1]


def check(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/WHEEL"))
        info = z.read(meta).decode()
    problems = [n for n in names if ".data/" in n]
    if problems:
        raise SystemExit(f"{wheel.name}: files under .data/ (they belong in the platlib root): {problems[:5]}")
    if "swifttune/_lib/libswifttune.so" not in names or "swifttune/py.typed" not in names:
        raise SystemExit(f"{wheel.name}: swifttune/_lib/libswifttune.so or swifttune/py.typed is missing")
    if "Root-Is-Purelib: false" not in info:
        raise SystemExit(f"{wheel.name}: not a platform wheel (Root-Is-Purelib is not false)")
    expected, actual = auditwheel_tag(wheel), platform_tag(wheel)
    if expected not in actual.split("."):
        raise SystemExit(f"{wheel.name}: tagged {actual}, but auditwheel show reports {expected}")
    print(f"{wheel.name}: platform wheel in the platlib root, tag {actual} as auditwheel reports")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        raise SystemExit(__doc__)
    wheel = Path(args[0])
    if "--check" in sys.argv:
        check(wheel)
        return
    tag = auditwheel_tag(wheel)
    if platform_tag(wheel) == tag:
        return
    subprocess.run([sys.executable, "-m", "wheel", "tags", "--platform-tag", tag, "--remove", str(wheel)], check=True)


if __name__ == "__main__":
    main()
