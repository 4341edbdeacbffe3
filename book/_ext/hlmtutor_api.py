"""Resolve cross-references to hlmtutor's top-level names (and ``hlmtutor.course``'s).

The API reference documents each public name where it is defined (``hlmtutor.models.lmer``), but
readers, chapters and docstrings use the flat names the package re-exports (``hlmtutor.lmer``), as
its ``__init__`` promises. When Sphinx cannot find ``hlmtutor.<name>...``, this handler looks the name
up on the imported package, rewrites the target to the defining module and resolves it there. A name
the package does not export is left unresolved, so ``-n`` still reports it.

Configure in ``_config.yml``::

    sphinx:
      local_extensions:
        hlmtutor_api: book/_ext
"""

from __future__ import annotations

import importlib
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

_PACKAGE = "hlmtutor"


def defining_target(target: str) -> str | None:
    """Map ``hlmtutor[.<package>].<name>[.<attr>...]`` to the module that defines ``<name>``, if
    it differs (``hlmtutor.lmer`` to ``hlmtutor.models.lmer``, ``hlmtutor.course.check_icc`` to
    ``hlmtutor.course.checks.check_icc``)."""
    parts = target.split(".")
    if len(parts) < 2 or parts[0] != _PACKAGE:
        return None
    # The longest importable package prefix that is not itself the whole target.
    for split in range(len(parts) - 1, 0, -1):
        try:
            package = importlib.import_module(".".join(parts[:split]))
        except Exception:  # autodoc already reports a module that fails to import
            continue
        exported = getattr(package, parts[split], None)
        module = getattr(exported, "__module__", None)
        if exported is None or isinstance(exported, type(importlib)):
            return None
        if not isinstance(module, str) or not module.startswith(f"{_PACKAGE}."):
            return None
        rewritten = ".".join([module, parts[split], *parts[split + 1 :]])
        return None if rewritten == target else rewritten
    return None


def resolve_flat_name(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.Element
) -> nodes.reference | None:
    """``missing-reference`` handler: retry a flat hlmtutor name at its defining module."""
    if node.get("refdomain") != "py":
        return None
    rewritten = defining_target(node.get("reftarget", ""))
    if rewritten is None:
        return None
    return env.get_domain("py").resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], rewritten, node, contnode
    )


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("missing-reference", resolve_flat_name)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
