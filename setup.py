"""Build hook: the wheel installs the design's folders inside the ``dramaturg`` package.

In a checkout, ``shared/``, ``actors/``, ``scheduler/`` and ``migrations/`` are
top-level packages and import each other by those names. Installed that way
they would take names an application is likely to use itself (its own
``shared`` or ``actors`` package), so the wheel moves them under
``dramaturg/`` and rewrites their imports (``from shared.x import y`` →
``from dramaturg.shared.x import y``), the way pip vendors its dependencies.
An editable install (``pip install -e .``, the development setup) keeps the
checkout's layout. tests/e2e/test_wheel.py installs the wheel next to a
package named ``shared`` and runs a job through it.

Everything else (metadata, dependencies, package data) is in pyproject.toml.
"""

from __future__ import annotations

import io
import shutil
import tokenize
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

NAMESPACE = "dramaturg"
INNER = ("shared", "actors", "scheduler", "migrations")


def namespaced(source: str, origin: str = "<source>") -> str:
    """``source`` with every ``from <inner>…`` import prefixed by ``dramaturg.``.

    Only ``from`` statements are rewritten: ``import shared.x`` would bind the
    name ``shared`` and cannot be rewritten in place, so it is refused.
    """
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int]] = []  # (line index, column) where the prefix goes
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    starts = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
    for i, tok in enumerate(tokens):
        at_statement_start = i == 0 or tokens[i - 1].type in starts or tokens[i - 1].string == ";"
        if not (at_statement_start and tok.type == tokenize.NAME and tok.string in ("from", "import")):
            continue
        name = tokens[i + 1]
        if name.type != tokenize.NAME or name.string not in INNER:
            continue
        if tok.string == "import":
            raise SystemExit(f"{origin}:{name.start[0]}: use 'from {name.string}… import …' (the wheel rewrites those)")
        edits.append((name.start[0] - 1, name.start[1]))
    for row, col in reversed(edits):
        lines[row] = f"{lines[row][:col]}{NAMESPACE}.{lines[row][col:]}"
    return "".join(lines)


class NamespacedBuildPy(build_py):
    """build_py that lays the inner packages out under ``dramaturg/`` in the build tree."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        root = Path(self.build_lib)
        for name in INNER:
            if (root / name).exists():
                target = root / NAMESPACE / name
                shutil.rmtree(target, ignore_errors=True)
                shutil.move(root / name, target)
        for path in (root / NAMESPACE).rglob("*.py"):
            path.write_text(namespaced(path.read_text(), str(path)))


setup(cmdclass={"build_py": NamespacedBuildPy})
