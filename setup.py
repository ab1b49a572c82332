"""Build step on top of pyproject.toml: compile the gettext catalogs (.po -> .mo) into the package.

`pip install -e .` writes the .mo next to its .po in the source tree (where the editable install reads it);
a wheel build compiles into the build directory too, so the wheel carries the .mo files.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _compile_po() -> Callable[[bytes], bytes]:
    # bulletin/i18n.py is loaded by path: importing the package would need its run-time dependencies.
    spec = importlib.util.spec_from_file_location("_bulletin_i18n", ROOT / "bulletin" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    compile_po: Callable[[bytes], bytes] = module.compile_po
    return compile_po


class BuildWithCatalogs(build_py):
    """build_py that also writes bulletin/locale/*/LC_MESSAGES/*.mo from the .po files."""

    def run(self) -> None:
        compile_po = _compile_po()
        for po in sorted((ROOT / "bulletin" / "locale").glob("*/LC_MESSAGES/*.po")):
            data = compile_po(po.read_bytes())
            po.with_suffix(".mo").write_bytes(data)  # the source tree: editable installs and later builds
            if not self.editable_mode:
                target = Path(self.build_lib) / po.relative_to(ROOT).with_suffix(".mo")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})
