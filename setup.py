"""Package layout only (metadata is in pyproject.toml).

The repository keeps ``linters/`` and ``functions/`` at its top, as docs/design.md, section 1 (Architecture) fixes;
the wheel installs them as ``sendguard/_engine/linters`` and ``sendguard/_engine/functions``
so that installing sendguard never claims the generic names ``linters`` or ``functions``
in site-packages. ``sendguard._entry`` adds ``_engine`` to ``sys.path`` at start-up; the
Python API (``sendguard.check`` ...) imports ``sendguard._engine.linters`` as a subpackage.
"""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

# What the local tools read beside the engine (``functions.local.ROOT``): the stack they
# create on moto and the sample data they load (``sendguard invoke``, ``review --serve``).
LOCAL_TOOL_FILES = ("template.yaml",)
LOCAL_TOOL_FOLDERS = ("events",)


class BuildWithLocalToolFiles(build_py):
    """The usual build, plus template.yaml and events/ under ``sendguard/_engine/``."""

    def run(self) -> None:
        super().run()
        engine = Path(self.build_lib, "sendguard", "_engine")
        for name in LOCAL_TOOL_FILES:
            if Path(name).is_file():
                shutil.copy2(name, engine / name)
        for name in LOCAL_TOOL_FOLDERS:
            if Path(name).is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                shutil.copytree(name, engine / name, ignore=ignore, dirs_exist_ok=True)

ENGINE = find_packages(include=["linters", "linters.*", "functions", "functions.*"])
PACKAGES = ["sendguard", *(f"sendguard._engine.{name}" for name in ENGINE)]
PACKAGE_DIR = {"sendguard": "sendguard", **{f"sendguard._engine.{n}": n.replace(".", "/") for n in ENGINE}}

setup(
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    # data/claim_reader/ is the trained claim reader (a spaCy pipeline: files and folders).
    package_data={
        "sendguard._engine.linters": ["data/*", "data/claim_reader/*", "data/claim_reader/*/*"],
        "sendguard._engine.functions": ["review/*.html"],
    },
    cmdclass={"build_py": BuildWithLocalToolFiles},
)
