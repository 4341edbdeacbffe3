"""Turn MyST markdown into plain Markdown that any notebook editor renders.

The one converter of the project: the book's ``.ipynb`` downloads (``book/_ext/notebook_download``
passes a :class:`PageContext` filled from the built book) and the assignment notebooks the
package hands out (:func:`plain_markdown`, with no Sphinx) both use it.

JupyterLab, VS Code and Colab render CommonMark with ``$`` math, but none of MyST's roles and
directives: a downloaded chapter would show ``{glue:text}`ch07_b0:.2f``` where the book shows a
number. :class:`MarkdownConverter` rewrites one markdown cell at a time:

- ``{glue:text}`key:fmt``` (and ``{glue}``, ``{glue:md}``) -> the glued value, formatted as the
  book formats it (the values come from the executed notebook, see :class:`PageContext`);
- ``{term}``, ``{doc}``, ``{ref}``, ``{numref}`` -> their text, linked to the published page when
  the book has a base URL (a relative link cannot work in a downloaded file);
- ``{cite:p}``, ``{cite:t}``, ``{cite}`` -> "(Author, Year)" / "Author (Year)";
- ``{func}`` and the other Python roles -> inline code;
- exercises -> a heading "Exercise N.M"; solutions -> a heading "Solution to Exercise N.M" and
  a note (the student edition has cut them out before this runs);
- ``{note}``, ``{tip}``, ``{warning}``, ``{admonition}``, ``{dropdown}``, ... -> a blockquote
  with a bold title; ``{glue:figure}`` -> its caption in bold "Figure N.M." (the figure itself
  appears in the output of the code cell that made it);
- MyST targets ``(label)=`` and ``%`` comments are dropped, links to other ``.md`` pages point
  at the published page;
- ``{{ name }}`` substitutions -> their value (:attr:`PageContext.substitutions`).

Code fences and inline code are left alone, so a chapter may still *show* MyST syntax in code.
The module needs neither Sphinx nor the notebook: everything it knows comes in a
:class:`PageContext`, which ``notebook_download`` fills from the Sphinx environment.
"""

from __future__ import annotations

import re
from ast import literal_eval
from collections.abc import Callable
from dataclasses import dataclass, field
from posixpath import dirname, join, normpath
from typing import Any

# --- what the converter knows about the page --------------------------------------------------


@dataclass
class PageContext:
    """What the book knows about one page when it is built.

    Every field has a default, so a converter also runs outside Sphinx (a glue value it does
    not know is then shown as ``[key]``, a reference as its target).
    """

    docname: str = ""
    #: glue key -> the glued output (``{"data": {mime: value}}``), from the executed notebook.
    glue: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The published site (ends with "/"), or None: then references are text, not links.
    base_url: str | None = None
    #: page name -> its title.
    titles: dict[str, str] = field(default_factory=dict)
    #: label -> (page name, anchor, title) for ``{ref}``.
    labels: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: lower-case glossary term -> (page name, anchor).
    terms: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: label -> number ("7.1") of this page's exercises and figures.
    exercise_numbers: dict[str, str] = field(default_factory=dict)
    figure_numbers: dict[str, str] = field(default_factory=dict)
    #: bibliography key -> (authors, year), e.g. ("Bates et al.", "2015").
    citations: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: MyST substitution name -> its Markdown (``{{ name }}`` in the text).
    substitutions: dict[str, str] = field(default_factory=dict)
    #: ``doc_title(target)``: the title of a page a ``{doc}`` role names, when ``titles`` (of
    #: the built book) does not know it; by default the target's file name.
    doc_title: Callable[[str], str] | None = None

    def url(self, docname: str, anchor: str = "") -> str | None:
        if not self.base_url:
            return None
        return f"{self.base_url}{docname}.html" + (f"#{anchor}" if anchor else "")

    def resolve_doc(self, target: str) -> str:
        """A ``{doc}`` target (relative to this page, or absolute from the book root)."""
        target = target.removesuffix(".md").removesuffix(".ipynb")
        if target.startswith("/"):
            return target.lstrip("/")
        return normpath(join(dirname(self.docname), target))


# --- small helpers -----------------------------------------------------------------------------


def format_plain_text(text: str, fmt_spec: str) -> str:
    """Format a glued ``text/plain`` value as myst-nb's ``{glue:text}`` does."""
    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if fmt_spec == "":
        return str(value)
    type_char = fmt_spec[-1]
    if type_char == "s":
        value = str(value)
    elif type_char in "bcdoxX":
        value = int(value)
    elif type_char in "eEfFgGn%":
        value = float(value)
    return format(value, fmt_spec)


def _link(text: str, url: str | None) -> str:
    return f"[{text}]({url})" if url else text


def _title_and_target(content: str) -> tuple[str | None, str]:
    """``"text <target>"`` -> ("text", "target"); ``"target"`` -> (None, "target")."""
    match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", content.strip(), re.DOTALL)
    if match and match[1]:
        return match[1], match[2]
    return None, content.strip()


def blockquote(title: str, body: str) -> str:
    """A blockquote with a bold title line: how an admonition reads in any notebook editor."""
    lines = [f"> **{title}**"] if title else []
    body = body.strip("\n")
    if body:
        if lines:
            lines.append(">")
        lines.extend(f"> {line}" if line.strip() else ">" for line in body.split("\n"))
    return "\n".join(lines)


# A role: {name}`content` (content without backticks, as MyST writes them in this book).
_ROLE = re.compile(r"\{(?P<name>[A-Za-z][\w.:+-]*)\}`(?P<content>[^`]+)`")
# An inline code span, left as it is: a run of backticks and the same run closing it.
_CODE_SPAN = re.compile(r"(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`)", re.DOTALL)
_INLINE = re.compile(f"{_ROLE.pattern}|{_CODE_SPAN.pattern}", re.DOTALL)
# A Markdown link to another page of the book, [text](page.md#anchor).
_PAGE_LINK = re.compile(
    r"\[(?P<text>[^\]]+)\]\((?P<target>(?![a-z]+:|#)[^)\s]+?\.(?:md|ipynb))(?P<anchor>#[^)\s]*)?\)"
)
_SUBSTITUTION = re.compile(r"(?P<indent>^[ \t]*)?\{\{\s*(?P<name>[A-Za-z_]\w*)\s*\}\}", re.M)
_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE_INFO = re.compile(r"^\s*\{(?P<name>[A-Za-z][\w:.-]*)\}\s*(?P<args>.*)$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
_TARGET_LINE = re.compile(r"^\s*\([\w\-:.]+\)=\s*$")
_COMMENT_LINE = re.compile(r"^%( |$)")
_EQUATION_LABEL = re.compile(r"^(\s*\$\$)\s*\([\w\-:.]+\)\s*$")

_ADMONITION_TITLES = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
    "margin": "",
    "sidebar": "",
    "topic": "",
    "epigraph": "",
}
_PYTHON_ROLES = {"func", "meth", "class", "attr", "mod", "data", "obj", "exc", "const"}
_DROPPED_DIRECTIVES = {"eval-rst", "tableofcontents", "bibliography", "index", "raw", "only"}


@dataclass
class _Directive:
    name: str
    args: str
    options: dict[str, str]
    body: str


def _split_options(body_lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Options at the top of a directive body: ``:key: value`` lines or a ``---`` YAML block."""
    options: dict[str, str] = {}
    lines = list(body_lines)
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is not None:
            for line in lines[1:end]:
                key, _, value = line.partition(":")
                options[key.strip()] = value.strip()
            return options, lines[end + 1 :]
    while lines and (match := _OPTION.match(lines[0])):
        options[match["key"]] = match["value"]
        lines.pop(0)
    return options, lines


# --- the converter -----------------------------------------------------------------------------


class MarkdownConverter:
    """Convert the markdown cells of one page, in order (solution headings need the state)."""

    def __init__(self, context: PageContext | None = None) -> None:
        self.context = context or PageContext()
        self._open_solution: str | None = None
        self.problems: list[str] = []

    # ---- blocks

    def convert(self, text: str) -> str:
        """Convert one markdown cell's source."""
        text = self._substitute(text)
        out: list[str] = []
        prose: list[str] = []  # lines of running text, converted together (a role may wrap)

        def flush() -> None:
            if prose:
                out.append(self.inline("\n".join(prose)))
                prose.clear()

        lines = text.split("\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            opening = _FENCE_OPEN.match(line)
            if opening:
                flush()
                end = self._closing_fence(lines, i, opening["fence"])
                directive = _DIRECTIVE_INFO.match(opening["info"])
                if directive:
                    options, body = _split_options(lines[i + 1 : end])
                    # A block of its own: blank lines keep it from joining a paragraph.
                    out.append("")
                    out.append(
                        self._directive(
                            _Directive(
                                directive["name"],
                                directive["args"].strip(),
                                options,
                                "\n".join(body).strip("\n"),
                            )
                        )
                    )
                    out.append("")
                else:
                    out.extend(lines[i : end + 1])  # a code block: as written
                i = end + 1
                continue
            if not (_TARGET_LINE.match(line) or _COMMENT_LINE.match(line)):
                label = _EQUATION_LABEL.match(line)
                prose.append(label[1] if label else line)
            i += 1
        flush()
        converted = "\n".join(out)
        return re.sub(r"\n{3,}", "\n\n", converted).strip("\n")

    def _substitute(self, text: str) -> str:
        """``{{ name }}`` -> the substitution's Markdown (indented as the reference is)."""

        def replace(match: re.Match) -> str:
            indent = match["indent"] or ""
            value = self.context.substitutions.get(match["name"])
            if value is None:
                self.problems.append(f"no substitution {match['name']!r}")
                return match[0]
            return indent + value.replace("\n", "\n" + indent)

        return _SUBSTITUTION.sub(replace, text)

    @staticmethod
    def _closing_fence(lines: list[str], start: int, fence: str) -> int:
        for j in range(start + 1, len(lines)):
            stripped = lines[j].strip()
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                return j
        return len(lines) - 1  # unclosed: to the end of the cell, as CommonMark reads it

    def _directive(self, d: _Directive) -> str:
        name = d.name
        if name in _DROPPED_DIRECTIVES:
            return ""
        if name in ("exercise-start", "exercise"):
            number = self.context.exercise_numbers.get(d.options.get("label", ""), "")
            heading = f"### Exercise {number}".rstrip()
            if d.args:
                heading += f" ({self.inline(d.args)})"
            body = self.convert(d.body) if d.body else ""
            return heading + (f"\n\n{body}" if body else "")
        if name == "exercise-end":
            return ""
        if name in ("solution-start", "solution"):
            label = d.args.split()[0] if d.args else ""
            number = self.context.exercise_numbers.get(label, "")
            what = f"Exercise {number}" if number else "the exercise"
            self._open_solution = what if name == "solution-start" else None
            heading = f"#### Solution to {what}\n\n" + blockquote(
                "Solution", "The book folds this away: try the exercise before you read on."
            )
            body = self.convert(d.body) if d.body else ""
            return heading + (f"\n\n{body}\n\n*End of the solution.*" if body else "")
        if name == "solution-end":
            what, self._open_solution = self._open_solution or "the exercise", None
            return f"*End of the solution to {what}.*"
        if name in ("admonition", "dropdown") or name in _ADMONITION_TITLES:
            title = self.inline(d.args) if d.args else _ADMONITION_TITLES.get(name, "")
            if not title and name == "dropdown":
                title = "Details"
            return blockquote(title, self.convert(d.body))
        if name == "glue:figure":
            number = self.context.figure_numbers.get(d.options.get("name", ""), "")
            caption = self.convert(d.body)
            title = f"**Figure {number}.**" if number else "**Figure.**"
            note = "*(The code cell above draws it.)*"
            return f"{title} {caption} {note}".replace("  ", " ")
        if name in ("glue", "glue:", "glue:any", "glue:md", "glue:math"):
            return self._glue_block(name, d.args)
        if name == "math":
            return f"$$\n{d.body}\n$$"
        if name in ("code-block", "code", "sourcecode"):
            return f"```{d.args}\n{d.body}\n```"
        if name in ("tab-item", "card", "grid-item-card") and d.args:
            return f"**{self.inline(d.args)}**\n\n{self.convert(d.body)}"
        # Anything else (tab-set, grid, div, ...): keep its content.
        return self.convert(d.body)

    def _glued(self, key: str) -> dict | None:
        """The output glued as ``key`` (its data by MIME type), or None, noted as a problem."""
        output = self.context.glue.get(key)
        if output is None:
            self.problems.append(f"no glued value {key!r}")
            return None
        return output.get("data", {})

    def _glue_block(self, name: str, key: str) -> str:
        data = self._glued(key)
        if data is None:
            return f"[{key}]"
        if name == "glue:math" and "text/latex" in data:
            return f"$$\n{str(data['text/latex']).strip().strip('$')}\n$$"
        if "text/markdown" in data:
            return str(data["text/markdown"])
        if any(mime.startswith("image/") for mime in data):
            return ""  # a figure: the code cell that glued it shows it
        return format_plain_text(str(data.get("text/plain", "")), "")

    # ---- inline

    def inline(self, text: str) -> str:
        """Convert the roles of one line (code spans are left as they are)."""

        def replace(match: re.Match) -> str:
            if match["name"] is None:
                return match[0]  # an inline code span
            return self._role(match["name"], match["content"])

        text = _INLINE.sub(replace, text)
        return _PAGE_LINK.sub(self._page_link, text)

    def _page_link(self, match: re.Match) -> str:
        docname = self.context.resolve_doc(match["target"])
        anchor = (match["anchor"] or "").lstrip("#")
        return _link(match["text"], self.context.url(docname, anchor))

    def _role(self, name: str, content: str) -> str:
        name = name.removeprefix("py:").removeprefix("std:")
        handler: Callable[[str, str], str] | None = {
            "glue": self._glue_role,
            "glue:": self._glue_role,
            "glue:any": self._glue_role,
            "glue:text": self._glue_role,
            "glue:md": self._glue_role,
            "term": self._term,
            "doc": self._doc,
            "ref": self._ref,
            "numref": self._ref,
            "math": lambda _, c: f"${c}$",
            "eq": lambda _, c: f"({c})",
        }.get(name)
        if handler is not None:
            return handler(name, content)
        if name.startswith("cite"):
            return self._cite(name, content)
        if name in _PYTHON_ROLES:
            title, target = _title_and_target(content)
            shown = title or (
                target.lstrip("~").split(".")[-1] if target.startswith("~") else target
            )
            return f"`{shown}()`" if name in ("func", "meth") and not title else f"`{shown}`"
        # abbr, sub, sup, kbd and roles unknown here: their text.
        return _title_and_target(content)[0] or content

    def _glue_role(self, name: str, content: str) -> str:
        key, fmt = content, ""
        if name in ("glue:text",) and ":" in content:
            key, fmt = content.rsplit(":", 1)
        data = self._glued(key)
        if data is None:
            return f"[{key}]"
        if name == "glue:md" and "text/markdown" in data:
            return str(data["text/markdown"]).strip()
        try:
            return format_plain_text(str(data.get("text/plain", "")), fmt)
        except (TypeError, ValueError) as error:
            self.problems.append(f"glued value {key!r} does not take the format {fmt!r}: {error}")
            return str(data.get("text/plain", ""))

    def _term(self, _: str, content: str) -> str:
        title, target = _title_and_target(content)
        found = self.context.terms.get(target.lower())
        return _link(title or target, self.context.url(*found) if found else None)

    def _doc(self, _: str, content: str) -> str:
        title, target = _title_and_target(content)
        docname = self.context.resolve_doc(target)
        text = title or self.context.titles.get(docname)
        if text is None:
            text = self.context.doc_title(target) if self.context.doc_title else target
        url = self.context.url(docname)
        return _link(text, url) if url else f"*{text}*"  # with no site, a title in italics

    def _ref(self, name: str, content: str) -> str:
        title, target = _title_and_target(content)
        found = self.context.labels.get(target)
        if found is None:
            return title or target
        docname, anchor, section = found
        text = title or section or target
        if name == "numref":
            number = self.context.figure_numbers.get(target) or self.context.exercise_numbers.get(
                target, ""
            )
            text = (title or "Fig. {number}").replace("%s", number).replace("{number}", number)
        return _link(text, self.context.url(docname, anchor))

    def _cite(self, name: str, content: str) -> str:
        keys = [key.strip() for key in content.split(",") if key.strip()]
        parts = []
        for key in keys:
            authors, year = self.context.citations.get(key, (key, ""))
            if name in ("cite:t", "cite:ts"):
                parts.append(f"{authors} ({year})" if year else authors)
            elif name == "cite:author":
                parts.append(authors)
            elif name == "cite:year":
                parts.append(year)
            else:
                parts.append(f"{authors}, {year}" if year else authors)
        if name in ("cite:t", "cite:ts", "cite:author", "cite:year"):
            return "; ".join(parts)
        return "(" + "; ".join(parts) + ")"


# --- without the book ----------------------------------------------------------------------------


def plain_markdown(text: str, doc_title: Callable[[str], str] | None = None) -> str:
    """``text`` with MyST roles, directives, targets and comments turned into plain Markdown.

    For notebooks handed out without the built book (the assignments): no glued values, no
    links (there is no site to link to), ``{doc}`` as the page's title.

    Parameters
    ----------
    text : str
        A markdown cell's source.
    doc_title : callable, optional
        ``doc_title(target) -> str``: the title of the page a ``{doc}`` role names; by default
        the target's file name, dashes as spaces.

    Returns
    -------
    str

    Examples
    --------
    >>> plain_markdown("As {doc}`../05-centering` shows, {term}`ICC` is {func}`hlmtutor.icc`.")
    'As *05 centering* shows, ICC is `hlmtutor.icc()`.'
    >>> print(plain_markdown(":::{admonition} Read me\\n:class: tip\\nText.\\n:::\\n"))
    > **Read me**
    >
    > Text.
    """
    title = doc_title or (lambda target: target.rsplit("/", 1)[-1].replace("-", " "))
    return MarkdownConverter(PageContext(doc_title=title)).convert(text)


_ANY_ROLE = re.compile(r"\{[A-Za-z][\w.:+-]*\}`[^`]*`")
_ANY_DIRECTIVE = re.compile(r"^[ \t]*(:{3,}|`{3,})[ \t]*\{", re.M)


def has_myst(text: str) -> bool:
    """Whether ``text`` still holds MyST roles, directives or substitutions.

    Examples
    --------
    >>> has_myst("See {doc}`a`."), has_myst("Plain `code`.")
    (True, False)
    """
    return bool(_ANY_ROLE.search(text) or _ANY_DIRECTIVE.search(text) or _SUBSTITUTION.search(text))
