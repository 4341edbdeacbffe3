"""Number the figures and exercises of an unnumbered page from 1, page by page.

Sphinx numbers figures (and sphinx-exercise's exercises) per chapter in a numbered part: Figure
4.2 is the second figure of chapter 4. A page outside a numbered part (the own-data template,
the appendix) has no chapter number, and Sphinx then counts on across all such pages, so the
appendix's first exercise became "Exercise 5" after the four of the own-data page. This extension
runs after Sphinx has assigned the numbers and restarts the count on each unnumbered page, in
the page's order: its first figure is "Figure 1", its first exercise "Exercise 1".

Configure in ``_config.yml``::

    sphinx:
      local_extensions:
        per_page_numbers: book/_ext
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment


def renumber_unnumbered_pages(
    numbers: dict[str, dict[str, dict[str, tuple[int, ...]]]],
    section_numbers: dict[str, dict[str, tuple[int, ...]]],
) -> list[str]:
    """Restart the count of every figure type on each page without a section number.

    ``numbers`` is Sphinx's ``env.toc_fignumbers`` (page -> figure type -> id -> number),
    changed in place; ``section_numbers`` is ``env.toc_secnumbers``. Returns the pages changed.
    """
    changed = []
    for docname, by_type in numbers.items():
        if any(section_numbers.get(docname, {}).values()):
            continue  # a numbered chapter: Sphinx's numbers are per chapter already
        for figtype, by_id in by_type.items():
            in_page_order = sorted(by_id, key=by_id.__getitem__)
            renumbered = {figure_id: (n,) for n, figure_id in enumerate(in_page_order, start=1)}
            if renumbered != by_id:
                by_type[figtype] = renumbered
                changed.append(docname)
    return sorted(set(changed))


def _on_env_get_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    return renumber_unnumbered_pages(env.toc_fignumbers, env.toc_secnumbers)


def setup(app: Sphinx) -> dict[str, Any]:
    # After Sphinx's own numbering (its toctree collector listens at the default priority, 500).
    app.connect("env-get-updated", _on_env_get_updated, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
