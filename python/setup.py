"""Builds swifttune's wheel and sdist: the Python package plus libswifttune.so, compiled in release
mode with the Swift toolchain and bundled as swifttune/_lib/libswifttune.so.

Where the Swift package is: the repository around this folder (a checkout: ``pip install ./python``,
``make wheel``), or the copy an sdist carries in ``swift/`` (``pip install swifttune-*.tar.gz``).
``SWIFTTUNE_BUNDLE_LIBRARY=/path/to/libswifttune.so`` bundles an already built library instead.

The wheel is a platform wheel (its files in the platlib root) tagged ``py3-none-<platform>``:
ctypes needs no Python ABI, but the library is native code. ``make wheel`` then retags it with
the manylinux tag ``auditwheel show`` reports for it.
"""
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
SWIFT_FILES = ["Package.swift", "VERSION", "Sources", "Tests"]
"""What of the repository an sdist carries to build the library (the Swift package)."""


def swift_package() -> Path:
    """The folder holding Package.swift: the sdist's copy, else the checkout around this folder."""
    for candidate in (HERE / "swift", HERE.parent):
        if (candidate / "Package.swift").is_file():
            return candidate
    raise SystemExit("swifttune: no Swift package found (expected ../Package.swift or swift/Package.swift); "
                     "set SWIFTTUNE_BUNDLE_LIBRARY to a built libswifttune.so")


def version() -> str:
    """The version in the Swift package's VERSION file (one source for Swift, C and Python)."""
    return (swift_package() / "VERSION").read_text(encoding="utf-8").strip()


def swift() -> str:
    """The swift driver: on PATH, or the toolchain's usual place."""
    found = shutil.which("swift") or ("/opt/swift/usr/bin/swift" if os.path.exists("/opt/swift/usr/bin/swift") else None)
    if found is None:
        raise SystemExit("swifttune: building libswifttune needs the Swift toolchain (swift on PATH); "
                         "or set SWIFTTUNE_BUNDLE_LIBRARY to a built libswifttune.so")
    return found


class BuildWithLibrary(build_py):
    """build_py, then the library compiled (release, Swift runtime linked statically) and copied in."""

    def run(self):
        super().run()
        prebuilt = os.environ.get("SWIFTTUNE_BUNDLE_LIBRARY")
        if prebuilt:
            library = Path(prebuilt)
        else:
            package = swift_package()
            subprocess.run([swift(), "build", "-c", "release", "-Xswiftc", "-static-stdlib", "--product", "swifttune",
                            "--package-path", str(package)], check=True)
            library = package / ".build" / "release" / "libswifttune.so"
        target = Path(self.build_lib) / "swifttune" / "_lib" / "libswifttune.so"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library, target)
        os.chmod(target, 0o755)
        if shutil.which("strip"):
            subprocess.run(["strip", "--strip-unneeded", str(target)], check=True)


class SdistWithSwift(sdist):
    """The sdist carries the Swift package in swift/, so that it builds the library on its own."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        package = swift_package()
        for name in SWIFT_FILES:
            source, target = package / name, Path(base_dir) / "swift" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                shutil.copyfile(source, target)


class BinaryDistribution(Distribution):
    """Has native code: the wheel is a platform wheel and its files go to the platlib root."""

    def has_ext_modules(self):
        return True


cmdclass = {"build_py": BuildWithLibrary, "sdist": SdistWithSwift}
try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel


class PlatformWheel(bdist_wheel):
    """py3-none-<platform>: any Python 3, no Python ABI (ctypes), this platform."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        return "py3", "none", sysconfig.get_platform().replace("-", "_").replace(".", "_")


cmdclass["bdist_wheel"] = PlatformWheel
setup(version=version(), cmdclass=cmdclass, distclass=BinaryDistribution)
