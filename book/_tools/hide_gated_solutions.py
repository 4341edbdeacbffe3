"""Sphinx extension: hide gated solutions when ``hide_solutions`` is on.

sphinx-exercise's ``hide_solutions`` drops a ``solution-start`` directive but keeps
everything up to its ``solution-end`` (prose, code cells and their output) and the
``solution_end_node`` itself, which the HTML writer cannot render (the build fails with
"departing unknown node type: solution_end_node"; sphinx-exercise issue #89).

This extension replaces ``solution-start`` so that, with ``hide_solutions = True``, it leaves
a marker; a transform then removes the marker and every sibling up to and including the
matching end node. With ``hide_solutions = False`` it changes nothing. The student edition's
generated config (``student_config.py``) loads it.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx_exercise.directive import SolutionStartDirective
from sphinx_exercise.nodes import solution_end_node


class hidden_solution_marker(nodes.Element):
    """Where a hidden gated solution starts; removed before writing."""


class HidingSolutionStartDirective(SolutionStartDirective):
    """``solution-start`` that leaves a marker when solutions are hidden."""

    def run(self) -> list[nodes.Node]:
        # The parent records the start in the gated registry (its structure check needs it).
        produced = super().run()
        if self.env.app.config.hide_solutions:
            return [hidden_solution_marker()]
        return produced


class RemoveHiddenSolutions(SphinxTransform):
    """Remove each marker and its siblings up to and including the next end node."""

    # Before sphinx-exercise merges gated directives (priority 10).
    default_priority = 5

    def apply(self, **kwargs: Any) -> None:
        for marker in list(self.document.findall(hidden_solution_marker)):
            parent = marker.parent
            start = parent.index(marker)
            end = next(
                (
                    i
                    for i in range(start, len(parent.children))
                    if isinstance(parent.children[i], solution_end_node)
                ),
                None,
            )
            if end is None:  # sphinx-exercise's own check reports the missing end
                parent.remove(marker)
                continue
            del parent.children[start : end + 1]


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_exercise")
    app.add_node(hidden_solution_marker)
    app.add_directive("solution-start", HidingSolutionStartDirective, override=True)
    app.add_transform(RemoveHiddenSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
