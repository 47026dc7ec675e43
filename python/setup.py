"""Builds the swifttune wheel: the pure-Python package plus libswifttune.so, compiled in release
mode with the Swift toolchain (`make lib` in the repository above this folder) and bundled as
swifttune/_lib/libswifttune.so. The wheel is tagged py3-none-<platform>: ctypes needs no
Python ABI, but the library is native code.

SWIFTTUNE_BUNDLE_LIBRARY=/path/to/libswifttune.so bundles an already built library instead.
"""
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        prebuilt = os.environ.get("SWIFTTUNE_BUNDLE_LIBRARY")
        if prebuilt:
            library = Path(prebuilt)
        else:
            subprocess.run(["make", "-C", str(ROOT), "lib"], check=True)
            library = ROOT / ".build" / "release" / "libswifttune.so"
        target = Path(self.build_lib) / "swifttune" / "_lib" / "libswifttune.so"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library, target)
        os.chmod(target, 0o755)
        if shutil.which("strip"):
            subprocess.run(["strip", "--strip-unneeded", str(target)], check=True)


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        return "py3", "none", sysconfig.get_platform().replace("-", "_").replace(".", "_")


setup(cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel})
