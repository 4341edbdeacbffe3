"""Write the assignment notebooks that ship with hlmtutor from the book's MyST sources.

The book's pages ``book/assignments/a*.md`` are the one source of each assignment. hlmtutor
ships them as plain ``.ipynb`` files (``hlmtutor/course/notebooks/``), MyST markup converted,
so that ``pip install hlmtutor`` and ``hlmtutor assignment`` work without the book or jupytext.

    python book/_tools/assignment_notebooks.py          # rewrite the shipped notebooks
    python book/_tools/assignment_notebooks.py --check  # exit 1 when one is out of date

``make notebooks`` runs the first; ``tests/test_course_notebooks.py`` runs the check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

from hlmtutor.course import ASSIGNMENTS
from hlmtutor_instructor.instructor import plain_notebook

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "book" / "assignments"
TARGET = ROOT / "hlmtutor" / "course" / "notebooks"


def rendered() -> dict[Path, str]:
    """Each shipped notebook's path and the text it should hold."""
    out = {}
    for spec in ASSIGNMENTS.values():
        stem = Path(spec.notebook).stem
        source = SOURCES / f"{stem}.md"
        notebook = plain_notebook(jupytext.read(source), source)
        out[TARGET / f"{stem}.ipynb"] = nbformat.writes(notebook) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = parser.parse_args(argv)
    stale = []
    for path, text in rendered().items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    if args.check and stale:
        names = ", ".join(str(path.relative_to(ROOT)) for path in stale)
        print(
            f"out of date: {names}; run python book/_tools/assignment_notebooks.py", file=sys.stderr
        )
        return 1
    for path in stale if not args.check else []:
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
