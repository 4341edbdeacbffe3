"""Label the References page by author and year, as the chapters cite.

The chapters cite in author-year form ("Bates et al., 2015"), but pybtex's stock list styles label
entries with numbers or with codes such as ``BMachlerBW15``. This extension registers the pybtex
style ``author_year_list``: the ``unsrt`` formatting, sorted by author, year and title, with labels
like "Bates et al., 2015a". Two works with the same label get the letters a, b, ... in list order.

Configure in ``_config.yml``::

    sphinx:
      local_extensions:
        bib_author_year: book/_ext
      config:
        bibtex_default_style: author_year_list
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from string import ascii_lowercase
from typing import Any

from pybtex.database import Entry
from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle as AuthorYearTitleSorting
from sphinx.application import Sphinx


def _surnames(entry: Entry) -> list[str]:
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    # Names may hold LaTeX accents (M{\"a}chler): render them as plain text.
    return [Text.from_latex(" ".join(person.last_names)).render_as("text") for person in persons]


def authors_and_year(entry: Entry) -> tuple[str, str]:
    """``("Gelman and Hill", "2007")`` or ``("Bates et al.", "2015")``."""
    names = _surnames(entry)
    if not names:
        who = entry.fields.get("title", entry.key)
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return who, entry.fields.get("year", "n.d.")


def author_year(entry: Entry) -> str:
    """``"Vallat, 2018"``, ``"Gelman and Hill, 2007"`` or ``"Bates et al., 2015"``."""
    return ", ".join(authors_and_year(entry))


class AuthorYearLabels(BaseLabelStyle):
    """Author-year labels, with a, b, ... where two entries would share one."""

    def format_labels(self, sorted_entries: Iterable[Entry]) -> Iterator[str]:
        labels = [author_year(entry) for entry in sorted_entries]
        shared = {label for label, count in Counter(labels).items() if count > 1}
        seen: Counter[str] = Counter()
        for label in labels:
            if label in shared:
                yield f"{label}{ascii_lowercase[seen[label]]}"
                seen[label] += 1
            else:
                yield label


class AuthorYearListStyle(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = AuthorYearTitleSorting


def setup(app: Sphinx) -> dict[str, Any]:
    register_plugin("pybtex.style.formatting", "author_year_list", AuthorYearListStyle)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
