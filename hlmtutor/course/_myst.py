"""MyST markup to plain Jupyter markdown, for notebooks handed out outside the book.

The book's pages use MyST: roles such as ``{doc}`../05-centering` `` and directives such as
``:::{admonition}``. JupyterLab, Colab and VS Code show those as raw text, so the assignment
notebooks students receive are converted: a role keeps its text (a ``{doc}`` link becomes the
chapter's title in italics), an admonition becomes a block quote with a bold title, and label
targets and comments go.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# {role}`text` or {role}`text <target>`
_ROLE = re.compile(r"\{(?P<role>[a-zA-Z][\w:.-]*)\}`(?P<body>[^`]*)`")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
# :::{name} argument ... ::: (colon fence) or ```{name} argument ... ``` (backtick fence)
_DIRECTIVE = re.compile(
    r"^(?P<fence>:{3,}|`{3,})[ \t]*\{(?P<name>[\w:.-]+)\}[ \t]*(?P<argument>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$\n?",
    re.M | re.S,
)
_OPTION = re.compile(r"^:[\w-]+:.*$\n?", re.M)
_TARGET = re.compile(r"^\([\w.:-]+\)=[ \t]*$\n?", re.M)
_COMMENT = re.compile(r"^%.*$\n?", re.M)
_CODE_ROLES = {"func", "meth", "class", "attr", "mod", "obj", "data", "exc", "py:func"}
_QUOTED = {"admonition", "note", "tip", "hint", "important", "warning", "caution", "attention"}


def _role(match: re.Match[str], doc_title: Callable[[str], str]) -> str:
    role, body = match["role"], match["body"]
    explicit = _EXPLICIT.match(body)
    text, target = (explicit["text"], explicit["target"]) if explicit else (body, body)
    if role == "doc":
        return f"*{text}*" if explicit else f"*{doc_title(target)}*"
    if role in _CODE_ROLES:
        return f"`{text.lstrip('~')}`"
    if role in ("math",):
        return f"${text}$"
    return text


def _directive(match: re.Match[str]) -> str:
    name, argument = match["name"], match["argument"].strip()
    body = _OPTION.sub("", match["body"]).strip("\n")
    if name in _QUOTED:
        title = argument or name.capitalize()
        lines = [f"**{title}**", "", *body.splitlines()]
        return "\n".join(f"> {line}".rstrip() for line in lines) + "\n"
    if name in ("code", "code-block"):
        return f"```{argument}\n{body}\n```\n"
    title = f"**{argument}**\n\n" if argument else ""
    return f"{title}{body}\n"


def plain_markdown(text: str, doc_title: Callable[[str], str] | None = None) -> str:
    """``text`` with MyST roles, directives, targets and comments turned into plain markdown.

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
    'As *05 centering* shows, ICC is `hlmtutor.icc`.'
    >>> print(plain_markdown(":::{admonition} Read me\\n:class: tip\\nText.\\n:::\\n"))
    > **Read me**
    >
    > Text.
    <BLANKLINE>
    """
    title = doc_title or (lambda target: target.rsplit("/", 1)[-1].replace("-", " "))
    previous = None
    while previous != text:  # directives may nest
        previous = text
        text = _DIRECTIVE.sub(_directive, text)
    text = _TARGET.sub("", _COMMENT.sub("", text))
    return _ROLE.sub(lambda match: _role(match, title), text)


def has_myst(text: str) -> bool:
    """Whether ``text`` still holds MyST roles or directives."""
    return bool(_ROLE.search(text) or re.search(r"^(:{3,}|`{3,})[ \t]*\{", text, re.M))
