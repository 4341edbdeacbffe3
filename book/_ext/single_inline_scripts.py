"""Write each inline ``<script>`` once per page.

sphinx-thebe registers an inline script (``const THEBE_JS_URL = ...``) with
``app.add_js_file(None, body=...)`` after the HTML builder started. Sphinx 7.4 then lists it twice:
once as given (file name ``None``) and once when it re-adds late assets (file name ``""``), and the
two do not compare equal. The browser runs both, and the second ``const`` throws "Identifier
'THEBE_JS_URL' has already been declared" on every page. This handler drops the repeat.

Configure in ``_config.yml``::

    sphinx:
      local_extensions:
        single_inline_scripts: book/_ext
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _script_key(script: Any) -> tuple:
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {})
    return (str(filename), getattr(script, "priority", None), tuple(sorted(attributes.items())))


def drop_repeated_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context`` handler: keep the first of scripts that differ only by None/""."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", drop_repeated_scripts)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
