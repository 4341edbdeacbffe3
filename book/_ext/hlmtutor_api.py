"""Resolve cross-references to hlmtutor's top-level names (and ``hlmtutor.course``'s).

The API reference documents each public name where it is defined (``hlmtutor.models.lmer``), but
readers, chapters and docstrings use the flat names the package re-exports (``hlmtutor.lmer``), as
its ``__init__`` promises. When Sphinx cannot find ``hlmtutor.<name>...``, this handler looks the name
up on the imported package, rewrites the target to the defining module and resolves it there. A name
the package does not export is left unresolved, so ``-n`` still reports it.

It also keeps napoleon from garbling two docstring forms the package uses:

- a property's one-line docstring with a colon in it ("Residual standard deviation (REML: pwrss /
  (n - p); ML: pwrss / n).") is not split into "type: description" (napoleon reads attribute
  docstrings Google-style, which printed "Type: Residual standard deviation (REML");
- an *Attributes* entry that names several attributes ("formula, REML, group : str, bool, str",
  numpydoc's way of sharing a description) becomes one entry per attribute (as ``:ivar:`` fields
  napoleon would print "group (formula, REML,)").

Configure in ``_config.yml``::

    sphinx:
      local_extensions:
        hlmtutor_api: book/_ext
"""

from __future__ import annotations

import importlib
import re
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


_SECTION_RULE = re.compile(r"\s*-{3,}\s*")
_COMBINED_ENTRY = re.compile(r"(?P<names>\w+(?:\s*,\s*\w+)+)\s+:\s+(?P<types>.+)")


def split_combined_attributes(lines: list[str]) -> list[str]:
    """Give each name of a combined numpydoc *Attributes* entry an entry of its own.

    ``formula, REML, group : str, bool, str`` with a description becomes three entries, each with
    its own type (when there are as many types as names) or the common type, and the description.
    """
    out: list[str] = []
    in_attributes = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and _SECTION_RULE.fullmatch(lines[i + 1]):
            in_attributes = line.strip() == "Attributes"
            out.extend(lines[i : i + 2])
            i += 2
            continue
        entry = _COMBINED_ENTRY.fullmatch(line) if in_attributes else None
        if entry is None:
            out.append(line)
            i += 1
            continue
        names = [name.strip() for name in entry["names"].split(",")]
        types = [kind.strip() for kind in entry["types"].split(",")]
        if len(types) != len(names):
            types = [entry["types"].strip()] * len(names)
        j = i + 1
        while j < len(lines) and lines[j].startswith((" ", "\t")):
            j += 1
        description = lines[i + 1 : j]
        for name, kind in zip(names, types, strict=True):
            out.append(f"{name} : {kind}")
            out.extend(description)
        i = j
    return out


def _split_combined_attributes(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """``autodoc-process-docstring`` handler, before napoleon."""
    lines[:] = split_combined_attributes(lines)


def _napoleon_without_inline_types(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """napoleon's handler, reading attribute and property docstrings as it reads methods'."""
    from sphinx.ext import napoleon

    if what in ("attribute", "property", "data"):
        what = "method"
    napoleon._process_docstring(app, what, name, obj, options, lines)


def _wrap_napoleon(app: Sphinx) -> None:
    """``builder-inited``: every extension is set up; swap napoleon's docstring handler."""
    from sphinx.ext import napoleon

    listeners = app.events.listeners.get("autodoc-process-docstring", [])
    for index, listener in enumerate(listeners):
        if listener.handler is napoleon._process_docstring:
            listeners[index] = listener._replace(handler=_napoleon_without_inline_types)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("missing-reference", resolve_flat_name)
    app.connect("autodoc-process-docstring", _split_combined_attributes, priority=400)
    app.connect("builder-inited", _wrap_napoleon)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
