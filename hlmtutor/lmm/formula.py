"""The one formula parser of hlmtutor: lme4's formula language, read as R reads it.

An lme4 formula is ``outcome ~ fixed part + (expr | factor) + ...``. This module turns the
text into a syntax tree (R's operator precedence), splits the fixed part from the random
terms (lme4's ``nobars`` and ``findbars``), expands ``(x || g)`` and ``(1 | a/b)`` as lme4's
``expandDoubleVerts`` and ``expandSlash`` do, and orders the terms of a linear part as R's
``terms()`` does: by degree, then by appearance; the variables of an interaction in the order
they first appear.

Variable expressions (``x``, ``log(x)``, ``I(x^2)``, ``factor(g)``) are kept in R's deparsed
spelling, which is also lme4's column name for them; :func:`evaluate` computes one on a data
frame and :func:`deparse` prints a formula as R's ``deparse()`` does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._rprint import r_format

__all__ = [
    "Formula",
    "LinearPart",
    "RandomTerm",
    "deparse",
    "evaluate",
    "parse_formula",
]

#: numpy-backed functions a formula may apply to a numeric variable (R's spelling).
NUMERIC_FUNCTIONS = {
    "log": np.log,
    "log2": np.log2,
    "log10": np.log10,
    "log1p": np.log1p,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "sin": np.sin,
    "cos": np.cos,
}
#: functions that make their argument a factor (R's ``factor``, ``as.factor`` and ``C``).
FACTOR_FUNCTIONS = ("factor", "as.factor", "C")
_KNOWN = ("I", "scale", *NUMERIC_FUNCTIONS, *FACTOR_FUNCTIONS)
_SUPPORTED = (
    "Supported: terms joined by +, -, a:b, a*b, a/b, (a + b)^2, 0 + or -1 to drop the intercept; "
    "I(...) for arithmetic (+ - * / ^); the functions "
    + ", ".join(f"{f}()" for f in _KNOWN[1:])
    + "; and random terms (expr | g), (expr | a:b), (expr | a/b), (expr || g)."
)


# -- syntax tree ------------------------------------------------------------------------
@dataclass(frozen=True)
class Name:
    id: str  # the name without backticks


@dataclass(frozen=True)
class Num:
    value: float
    integer: bool = False  # written with R's L suffix


@dataclass(frozen=True)
class Call:
    fn: str
    args: tuple


@dataclass(frozen=True)
class Paren:
    inner: object


@dataclass(frozen=True)
class Unary:
    op: str
    operand: object


@dataclass(frozen=True)
class Binary:
    op: str
    left: object
    right: object


_TOKEN = re.compile(
    r"\s*(?:(?P<tick>`[^`]*`)"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?L?)"
    r"|(?P<name>(?:[^\W\d]|\.)[\w.]*)"
    r"|(?P<op>\|\||\*\*|%in%|[~+\-*/:|^(),]))"
)
_BINARY = {"~": 1, "||": 2, "|": 2, "+": 3, "-": 3, "*": 4, "/": 4, "%in%": 5, ":": 6, "^": 8}
_UNARY_PREC = 7  # R: unary minus binds tighter than ':' and looser than '^'
_SPACED = {"~", "||", "|", "+", "-", "*", "%in%"}  # R's PP_BINARY and %op%: spaced, may break
_SYNTACTIC = re.compile(r"(?:[^\W\d_]|\.(?![0-9]))[\w.]*|\.")
_RESERVED = {"if", "else", "repeat", "while", "function", "for", "next", "break", "TRUE",
             "FALSE", "NULL", "Inf", "NaN", "NA", "in"}  # fmt: skip


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            bad = text[pos:].strip()
            raise ValueError(
                f"Cannot read {bad!r} in formula {text!r}: that symbol is not part of the "
                f"formula language hlmtutor reads. {_SUPPORTED}"
            )
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def fail(self, what: str) -> ValueError:
        return ValueError(f"Cannot read the formula {self.text!r}: {what}. {_SUPPORTED}")

    def parse(self):
        if not self.tokens:
            raise self.fail("it is empty")
        node = self.expression(0)
        token = self.peek()
        if token is not None:
            if token[1] == ")":
                raise ValueError(
                    f"Unbalanced parentheses in formula {self.text!r}: a ')' has no matching "
                    "'('. Check that every '(' is closed once."
                )
            raise self.fail(f"unexpected {token[1]!r}")
        return node

    def expression(self, min_prec: int):
        left = self.prefix()
        while True:
            token = self.peek()
            if token is None or token[0] != "op":
                if token is not None:
                    raise self.fail(f"{token[1]!r} follows another term without an operator")
                return left
            op = "^" if token[1] == "**" else token[1]
            if op not in _BINARY:
                return left
            prec = _BINARY[op]
            if prec < min_prec or (op == "~" and min_prec > 1):
                return left
            self.pos += 1
            right = self.expression(prec if op == "^" else prec + 1)
            left = Binary(op, left, right)

    def prefix(self):
        token = self.peek()
        if token is None:
            raise self.fail("it ends where a term is expected")
        kind, value = token
        self.pos += 1
        if kind == "tick":
            return Name(value[1:-1])
        if kind == "num":
            integer = value.endswith("L")
            return Num(float(value.rstrip("L")), integer)
        if kind == "name":
            nxt = self.peek()
            if nxt is not None and nxt[1] == "(":
                self.pos += 1
                args = []
                if self.peek() is not None and self.peek()[1] == ")":
                    self.pos += 1
                    return Call(value, ())
                while True:
                    args.append(self.expression(0))
                    nxt = self.peek()
                    if nxt is None:
                        raise self.unbalanced()
                    self.pos += 1
                    if nxt[1] == ")":
                        return Call(value, tuple(args))
                    if nxt[1] != ",":
                        raise self.fail(f"unexpected {nxt[1]!r} in the call {value}(...)")
            return Name(value)
        if value == "(":
            inner = self.expression(0)
            nxt = self.peek()
            if nxt is None:
                raise self.unbalanced()
            if nxt[1] != ")":
                raise self.fail(f"unexpected {nxt[1]!r}")
            self.pos += 1
            return Paren(inner)
        if value in ("-", "+"):
            return Unary(value, self.expression(_UNARY_PREC))
        if value == "~":
            return Unary("~", self.expression(2))
        if value == ")":
            raise ValueError(
                f"Unbalanced parentheses in formula {self.text!r}: a ')' has no matching '(' "
                "(or a term is missing before it)."
            )
        raise self.fail(f"unexpected {value!r}")

    def unbalanced(self) -> ValueError:
        return ValueError(
            f"Unbalanced parentheses in formula {self.text!r}: a '(' is never closed. Check "
            "that every '(' has its ')'."
        )


def _parse(text: str):
    return _Parser(text).parse()


# -- deparse (R's deparse2buff for the nodes a formula has) ------------------------------
def _name_text(name: str) -> str:
    if _SYNTACTIC.fullmatch(name) and name not in _RESERVED:
        return name
    return f"`{name}`"


def _num_text(node: Num) -> str:
    if node.integer:
        return f"{int(node.value)}L"
    return r_format([node.value], digits=15)[0].strip()


class _Deparser:
    """R's deparse: canonical spacing, a line break after 60 characters at spaced operators."""

    cutoff = 60

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current = ""
        self.indent = 0
        self.start = True

    def write(self, text: str) -> None:
        if self.start:
            self.start = False
            self.current += "".join("    " if i <= 4 else "  " for i in range(1, self.indent + 1))
        self.current += text

    def newline(self) -> None:
        self.lines.append(self.current)
        self.current = ""
        self.start = True

    def linebreak(self, broke: bool) -> bool:
        if len(self.current) > self.cutoff:
            if not broke:
                broke = True
                self.indent += 1
            self.newline()
        return broke

    def node(self, n) -> None:
        if isinstance(n, Name):
            self.write(_name_text(n.id))
        elif isinstance(n, Num):
            self.write(_num_text(n))
        elif isinstance(n, Paren):
            self.write("(")
            self.node(n.inner)
            self.write(")")
        elif isinstance(n, Unary):
            self.write(n.op)
            self.node(n.operand)
        elif isinstance(n, Call):
            self.write(_name_text(n.fn) + "(")
            broke = False
            for i, arg in enumerate(n.args):
                self.node(arg)
                if i < len(n.args) - 1:
                    self.write(", ")
                    broke = self.linebreak(broke)
            if broke:
                self.indent -= 1
            self.write(")")
        else:
            self.node(n.left)
            if n.op in _SPACED:
                self.write(f" {n.op} ")
                broke = self.linebreak(False)
                self.node(n.right)
                if broke:
                    self.indent -= 1
            else:
                self.write(n.op)
                self.node(n.right)


def _deparse_node(node) -> list[str]:
    d = _Deparser()
    d.node(node)
    d.newline()
    return d.lines


def _text(node) -> str:
    """One-line deparse of an expression (R's spelling of a variable or factor name)."""
    return " ".join(s.strip() for s in _deparse_node(node))


def deparse(text: str) -> list[str]:
    """R's ``deparse()`` of a formula: the pieces R prints after ``Formula:``.

    Parameters
    ----------
    text : str
        A formula, e.g. ``"y~x+(1|g)"``.

    Returns
    -------
    list of str
        The lines of R's deparse: canonical spacing (``y ~ x + (1 | g)``, ``I(x^2)``,
        ``log(x)``, ``(1 | a/b)``), numbers as R prints them, a line break after a spaced
        operator once a line passes 60 characters (continuation lines indented by 4).

    Examples
    --------
    >>> deparse("y~x*sex+I(x ^ 2)+(x||g)+(1|a/b)")
    ['y ~ x * sex + I(x^2) + (x || g) + (1 | a/b)']
    """
    if not isinstance(text, str):
        raise TypeError(f"formula must be a string such as 'y ~ x + (1 | g)', not {text!r}.")
    return _deparse_node(_parse(text))


# -- linear parts ----------------------------------------------------------------------
@dataclass(frozen=True)
class LinearPart:
    """The terms of a model matrix, as R's ``terms()`` orders them.

    ``terms``: each term a tuple of variable expressions (R's spelling), ordered by degree
    and then by appearance; the variables of a term in order of first appearance.
    ``intercept``: whether the part has an intercept.
    """

    terms: tuple[tuple[str, ...], ...]
    intercept: bool

    @property
    def term_labels(self) -> tuple[str, ...]:
        """R's ``term.labels``: ``('x', 'sex', 'x:sex')``."""
        return tuple(":".join(t) for t in self.terms)

    @property
    def variables(self) -> tuple[str, ...]:
        """The distinct variable expressions of the part, in term order."""
        return tuple(dict.fromkeys(v for t in self.terms for v in t))


@dataclass(frozen=True)
class RandomTerm:
    """One random-effects term ``(expr | factor)`` after lme4's expansions.

    ``factor`` holds the grouping columns (``('class', 'school')`` for ``class:school``) in
    the order lme4's factor has them; ``name`` is lme4's name of the factor (``'school'``,
    ``'class:school'`` for the inner term of ``(1 | school/class)``); ``label`` is the term
    as lme4's ``findbars`` deparses it (``'1 + x | g'``, ``'0 + x | g'``, ``'1 | class:school'``).
    """

    expr: LinearPart
    factor: tuple[str, ...]
    name: str
    label: str = ""


@dataclass(frozen=True)
class Formula:
    """A parsed lme4 formula (see :func:`parse_formula`)."""

    text: str
    response: str
    fixed: LinearPart
    random: tuple[RandomTerm, ...]
    variables: tuple[str, ...]


def _is_bar(node) -> bool:
    return isinstance(node, Binary) and node.op in ("|", "||")


def _contains_bar(node) -> bool:
    if _is_bar(node):
        return True
    if isinstance(node, Paren):
        return _contains_bar(node.inner)
    if isinstance(node, Unary):
        return _contains_bar(node.operand)
    if isinstance(node, Binary):
        return _contains_bar(node.left) or _contains_bar(node.right)
    if isinstance(node, Call):
        return any(_contains_bar(a) for a in node.args)
    return False


def _check_variable(node, text: str) -> str:
    """Validate a variable expression (a name or a supported call); return R's spelling."""
    if isinstance(node, Name):
        if node.id == ".":
            raise ValueError(
                f"The formula {text!r} uses '.', meaning 'every other column'; hlmtutor needs "
                "the predictors named one by one, e.g. 'y ~ x1 + x2 + (1 | g)'."
            )
        return _text(node)
    if isinstance(node, Call):
        _check_call(node, text)
        return _text(node)
    raise ValueError(f"Cannot read the term {_text(node)!r} in formula {text!r}. {_SUPPORTED}")


def _check_call(node: Call, text: str) -> None:
    fn = node.fn
    if fn == "poly":
        raise ValueError(
            f"poly() in formula {text!r} is not supported: write raw polynomial terms such as "
            "x + I(x^2), or add orthogonal polynomial columns to the data."
        )
    if fn not in _KNOWN:
        raise ValueError(
            f"Unknown function {fn}() in the term {_text(node)!r} of formula {text!r}. "
            f"Functions hlmtutor can evaluate: {', '.join(f + '()' for f in _KNOWN)}; for "
            "anything else add the transformed variable as a column of the data."
        )
    if len(node.args) != 1:
        raise ValueError(
            f"{fn}() in the term {_text(node)!r} of formula {text!r} takes exactly one "
            f"argument here, e.g. {fn}(x); add a transformed column for anything else."
        )
    arg = node.args[0]
    if fn in FACTOR_FUNCTIONS:
        if not isinstance(arg, Name):
            raise ValueError(
                f"{fn}() in {_text(node)!r} needs a column name, e.g. {fn}(school); "
                f"formula {text!r}."
            )
        _check_variable(arg, text)
        return
    _check_arithmetic(arg, text, node)


def _check_arithmetic(node, text: str, whole) -> None:
    if isinstance(node, Num):
        return
    if isinstance(node, Name):
        _check_variable(node, text)
    elif isinstance(node, Call):
        if node.fn in FACTOR_FUNCTIONS:
            raise ValueError(
                f"{node.fn}() cannot be used inside arithmetic ({_text(whole)!r} in formula "
                f"{text!r}); use it as a term of its own."
            )
        _check_call(node, text)
    elif isinstance(node, Paren):
        _check_arithmetic(node.inner, text, whole)
    elif isinstance(node, Unary) and node.op in "+-":
        _check_arithmetic(node.operand, text, whole)
    elif isinstance(node, Binary) and node.op in ("+", "-", "*", "/", "^"):
        _check_arithmetic(node.left, text, whole)
        _check_arithmetic(node.right, text, whole)
    else:
        raise ValueError(
            f"Cannot evaluate {_text(node)!r} inside {_text(whole)!r} in formula {text!r}: "
            "arithmetic inside I() and functions may use + - * / ^, parentheses, numbers and "
            "column names."
        )


_INTERCEPT = ()


def _expand(node, text: str, where: str) -> list[tuple[bool, tuple[str, ...]]]:
    """R's term algebra: a list of (added?, term) in generation order; () is the intercept."""
    if isinstance(node, Paren):
        if _is_bar(node.inner):
            raise ValueError(
                f"The random term {_text(node)!r} in formula {text!r} must be added at the top "
                "level of the formula, e.g. 'y ~ x + (1 | g)', not inside another term."
            )
        return _expand(node.inner, text, where)
    if isinstance(node, Num):
        if node.value in (0.0, 1.0):
            return [(node.value == 1.0, _INTERCEPT)]
        raise ValueError(
            f"The number {_text(node)} in {where} of formula {text!r} is not a term: only 1 "
            "(intercept) and 0 or -1 (no intercept) are; for arithmetic use I(), e.g. I(2 * x)."
        )
    if isinstance(node, Unary):
        if node.op == "+":
            return _expand(node.operand, text, where)
        if node.op == "-":
            return [(not added, term) for added, term in _expand(node.operand, text, where)]
        raise ValueError(f"Cannot read {_text(node)!r} in formula {text!r}. {_SUPPORTED}")
    if isinstance(node, Binary):
        op = node.op
        if op in ("|", "||"):
            raise ValueError(
                f"The random term {_text(node)!r} in formula {text!r} needs parentheses: "
                f"write ({_text(node)})."
            )
        if op == "~":
            raise ValueError(f"The formula {text!r} has more than one '~'.")
        left = _expand(node.left, text, where)
        if op == "+":
            return left + _expand(node.right, text, where)
        if op == "-":
            right = _expand(node.right, text, where)
            return left + [(not added, term) for added, term in right]
        if op == "^":
            right = node.right
            if not (
                isinstance(right, Num) and right.value >= 1 and right.value == int(right.value)
            ):
                raise ValueError(
                    f"In {_text(node)!r} (formula {text!r}) the power of a sum of terms must be "
                    "a whole number such as 2; for arithmetic use I(), e.g. I(x^2)."
                )
            base = _terms_only(left, node, text)
            result = list(base)
            for _ in range(int(right.value) - 1):
                result = _product(result, base)
            return [(True, t) for t in _unique(base + result)]
        right = _terms_only(_expand(node.right, text, where), node, text)
        lefts = _terms_only(left, node, text)
        if op in (":", "%in%"):
            return [(True, t) for t in _product(lefts, right)]
        if op == "*":
            return [(True, t) for t in _unique(lefts + right + _product(lefts, right))]
        if op == "/":
            merged: list[str] = []
            for term in lefts:
                merged.extend(v for v in term if v not in merged)
            return [(True, t) for t in _unique(lefts + _product([tuple(merged)], right))]
        raise ValueError(f"Cannot read {_text(node)!r} in formula {text!r}. {_SUPPORTED}")
    return [(True, (_check_variable(node, text),))]


def _terms_only(items, node, text: str) -> list[tuple[str, ...]]:
    terms = []
    for added, term in items:
        if term == _INTERCEPT or not added:
            raise ValueError(
                f"Cannot read {_text(node)!r} in formula {text!r}: 0, 1 and subtracted terms "
                "cannot be part of an interaction."
            )
        terms.append(term)
    return terms


def _merge(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a + b))


def _product(left, right) -> list[tuple[str, ...]]:
    return [_merge(a, b) for a in left for b in right]


def _unique(terms) -> list[tuple[str, ...]]:
    seen: set[frozenset[str]] = set()
    out = []
    for term in terms:
        key = frozenset(term)
        if key not in seen:
            seen.add(key)
            out.append(term)
    return out


def _leaves(node, out: list[str]) -> None:
    """Variable expressions in order of appearance (R's 'variables' attribute)."""
    if isinstance(node, Name | Call):
        spelled = _text(node)
        if spelled not in out:
            out.append(spelled)
    elif isinstance(node, Paren):
        _leaves(node.inner, out)
    elif isinstance(node, Unary):
        _leaves(node.operand, out)
    elif isinstance(node, Binary):
        _leaves(node.left, out)
        _leaves(node.right, out)


def _linear_part(nodes: list, text: str, where: str) -> LinearPart:
    """Build R's terms of a sum of (signed) pieces."""
    items: list[tuple[bool, tuple[str, ...]]] = []
    order: list[str] = []
    for sign, node in nodes:
        expanded = _expand(node, text, where)
        if sign == "-":
            expanded = [(not a, t) for a, t in expanded]
        items.extend(expanded)
        _leaves(node, order)
    intercept = True
    added: list[tuple[str, ...]] = []
    removed: set[frozenset[str]] = set()
    for is_added, term in items:
        if term == _INTERCEPT:
            intercept = is_added
        elif is_added:
            added.append(term)
        else:
            removed.add(frozenset(term))
    rank = {v: i for i, v in enumerate(order)}
    terms = [
        tuple(sorted(t, key=rank.__getitem__))
        for t in _unique(added)
        if frozenset(t) not in removed
    ]
    return LinearPart(terms=tuple(sorted(terms, key=len)), intercept=intercept)


def _summands(node, sign: str = "+") -> list[tuple[str, object]]:
    """Top-level pieces of a sum as (sign, node)."""
    if isinstance(node, Binary) and node.op in ("+", "-"):
        right_sign = sign if node.op == "+" else ("-" if sign == "+" else "+")
        return _summands(node.left, sign) + _summands(node.right, right_sign)
    if isinstance(node, Unary) and node.op in ("+", "-"):
        inner_sign = sign if node.op == "+" else ("-" if sign == "+" else "+")
        if not isinstance(node.operand, Num):
            return _summands(node.operand, inner_sign)
    return [(sign, node)]


def _factor_names(node, text: str, bar) -> list[str]:
    """Column names of a grouping expression joined by ':' (no '/' left)."""
    if isinstance(node, Name):
        _check_variable(node, text)
        return [node.id]
    if isinstance(node, Paren):
        return _factor_names(node.inner, text, bar)
    if isinstance(node, Binary) and node.op == ":":
        return _factor_names(node.left, text, bar) + _factor_names(node.right, text, bar)
    raise ValueError(
        f"The grouping factor {_text(node)!r} in the random term ({_text(bar)}) of formula "
        f"{text!r} must be column names joined by ':' (interaction, e.g. school:class) or "
        "'/' (nesting, e.g. school/class); functions and other operators are not supported "
        "there (make a column with the grouping you need)."
    )


def _slash_terms(node, text: str, bar):
    """lme4's slashTerms: a nested list for a/b/c, the node otherwise."""
    if isinstance(node, Binary) and node.op == "/":
        return [_slash_terms(node.left, text, bar), _slash_terms(node.right, text, bar)]
    if isinstance(node, Paren) and _has_slash(node.inner):
        return _slash_terms(node.inner, text, bar)
    if _has_slash(node):
        raise ValueError(
            f"Cannot read the grouping factor {_text(node)!r} in ({_text(bar)}), formula "
            f"{text!r}: write nesting as a/b or a/b/c."
        )
    return node


def _has_slash(node) -> bool:
    if isinstance(node, Binary):
        return node.op == "/" or _has_slash(node.left) or _has_slash(node.right)
    if isinstance(node, Paren):
        return _has_slash(node.inner)
    return False


def _make_interaction(x):
    """lme4's makeInteraction: [inner:outer, ..., outer] for a slashTerms list."""
    if not isinstance(x, list):
        return x
    first = _make_interaction(x[0])
    head = first[0] if isinstance(first, list) else first
    inner = x[1]
    if isinstance(head, Binary) and head.op == ":":
        head = Paren(head)
    return [Binary(":", inner, head), first]


def _flatten(x) -> list:
    if isinstance(x, list):
        return [leaf for item in x for leaf in _flatten(item)]
    return [x]


def _random_terms(piece, text: str) -> list[RandomTerm]:
    bar = piece.inner
    expr_node, factor_node = bar.left, bar.right
    expr_pieces = _summands(expr_node)
    if bar.op == "||":
        part = _linear_part(expr_pieces, text, f"the random term ({_text(bar)})")
        singles = []
        if part.intercept:
            singles.append((LinearPart(terms=(), intercept=True), "1"))
        singles.extend(
            (LinearPart(terms=(t,), intercept=False), "0 + " + ":".join(t)) for t in part.terms
        )
    else:
        whole = _linear_part(expr_pieces, text, f"the random term ({_text(bar)})")
        singles = [(whole, _text(expr_node))]
    for part, _ in singles:
        if not part.terms and not part.intercept:
            raise ValueError(
                f"The random term ({_text(bar)}) in formula {text!r} has no effects: its left "
                "side must give an intercept (1) or a slope, e.g. (1 | g) or (0 + x | g)."
            )
    slashed = _slash_terms(factor_node, text, bar)
    factors = _flatten(_make_interaction(slashed)) if isinstance(slashed, list) else [slashed]
    out = []
    for part, left in singles:
        for factor in factors:
            columns = tuple(_factor_names(factor, text, bar))
            name = columns[0] if isinstance(factor, Name) else _text(factor)
            label = f"{left} | {_text(factor)}"
            out.append(RandomTerm(expr=part, factor=columns, name=name, label=label))
    return out


def _columns_of(node, out: list[str]) -> None:
    if isinstance(node, Name):
        if node.id not in out:
            out.append(node.id)
    elif isinstance(node, Call):
        for arg in node.args:
            _columns_of(arg, out)
    elif isinstance(node, Paren):
        _columns_of(node.inner, out)
    elif isinstance(node, Unary):
        _columns_of(node.operand, out)
    elif isinstance(node, Binary):
        _columns_of(node.left, out)
        _columns_of(node.right, out)


_FACTOR_CALL = re.compile(r"^(?:factor|as\.factor|C)\((.*)\)$")


def _bare(expression: str) -> str:
    """The column a fixed-effect variable stands for when it is g or factor(g)."""
    match = _FACTOR_CALL.match(expression)
    inner = match.group(1) if match else expression
    return inner[1:-1] if inner.startswith("`") else inner


def parse_formula(text: str) -> Formula:
    """Parse an lme4 formula.

    Parameters
    ----------
    text : str
        lme4 syntax, e.g. ``"y ~ x * sex + I(x^2) + (1 + x | school) + (1 | school:class)"``.

    Returns
    -------
    Formula
        ``response`` (R's spelling of the outcome), ``fixed`` (a :class:`LinearPart` as R's
        ``terms()`` orders it), ``random`` (one :class:`RandomTerm` per term after expanding
        ``||`` and ``/`` as lme4's ``findbars`` does, in its order), ``variables`` (the data
        columns used, the outcome's first).

    Notes
    -----
    ``(x || g)`` becomes ``(1 | g) + (0 + x | g)``; ``(1 | a/b)`` becomes ``(1 | b:a) +
    (1 | a)`` (lme4's order; the factor of the first is named ``b:a`` and has levels
    ``'b-level:a-level'``); ``a/b/c`` gives ``c:(b:a)``, ``b:a`` and ``a``. Matches lme4's
    ``findbars``, ``nobars``, ``expandDoubleVerts``, ``expandSlash`` and R's ``terms``.

    Examples
    --------
    >>> f = parse_formula("y ~ x*sex + I(x^2) + (1 + x | school) + (1 | school/class)")
    >>> f.fixed.terms
    (('x',), ('sex',), ('I(x^2)',), ('x', 'sex'))
    >>> [(t.name, t.factor, t.expr.term_labels) for t in f.random]
    [('school', ('school',), ('x',)), ('class:school', ('class', 'school'), ()), ('school', ('school',), ())]
    >>> f.variables
    ('y', 'x', 'sex', 'school', 'class')
    """
    if not isinstance(text, str):
        raise TypeError(f"formula must be a string such as 'y ~ x + (1 | g)', not {text!r}.")
    tree = _parse(text)
    if not (isinstance(tree, Binary) and tree.op == "~"):
        raise ValueError(f"The formula {text!r} needs an outcome and '~', e.g. 'y ~ x + (1 | g)'.")
    lhs, rhs = tree.left, tree.right
    if isinstance(lhs, Binary | Unary) or _contains_bar(lhs):
        raise ValueError(
            f"The outcome {_text(lhs)!r} in formula {text!r} must be one column name or one "
            "transformed column such as log(y)."
        )
    response = _check_variable(lhs.inner if isinstance(lhs, Paren) else lhs, text)
    if isinstance(lhs, Call) and lhs.fn in FACTOR_FUNCTIONS:
        raise ValueError(f"The outcome {response!r} of a linear mixed model must be numeric.")
    fixed_pieces = []
    random: list[RandomTerm] = []
    for sign, piece in _summands(rhs):
        if isinstance(piece, Paren) and _is_bar(piece.inner):
            if sign == "-":
                raise ValueError(
                    f"The random term {_text(piece)!r} in formula {text!r} is subtracted; a "
                    "random term can only be added: '+ " + _text(piece) + "'."
                )
            random.extend(_random_terms(piece, text))
        else:
            fixed_pieces.append((sign, piece))
    fixed = _linear_part(fixed_pieces, text, "the fixed part")
    if not random:
        raise ValueError(
            f"The formula {text!r} has no random-effects term. lmer() fits mixed models: add "
            "one such as (1 | group); for a model without random effects use "
            "statsmodels.formula.api.ols."
        )
    variables: list[str] = []
    _columns_of(lhs, variables)
    _columns_of(rhs, variables)
    variables = [v for v in variables if v != "."]
    outcome_columns: list[str] = []
    _columns_of(lhs, outcome_columns)
    groups = list(dict.fromkeys(c for term in random for c in term.factor))
    for column in outcome_columns:
        if column in groups:
            raise ValueError(
                f"The outcome {column!r} is also a grouping factor in formula {text!r}; a "
                "variable cannot be both what is predicted and what defines the groups. Group "
                "by another column, e.g. 'y ~ x + (1 | school)'."
            )
    fixed_bare = {_bare(t[0]): t[0] for t in fixed.terms if len(t) == 1}
    for term in random:
        if len(term.factor) == 1 and term.expr.intercept and term.factor[0] in fixed_bare:
            raise ValueError(
                f"{term.factor[0]!r} is both a fixed effect ({fixed_bare[term.factor[0]]}) and "
                f"the grouping factor of the random term (1 | {term.name}) in formula "
                f"{text!r}: its random intercept would not be identified, because the fixed "
                f"effects already give every group its own mean. Drop "
                f"{fixed_bare[term.factor[0]]} from the fixed part (keep the random term), or "
                "drop the random intercept."
            )
    return Formula(
        text=text,
        response=response,
        fixed=fixed,
        random=tuple(random),
        variables=tuple(dict.fromkeys(variables)),
    )


# -- evaluation ---------------------------------------------------------------------------
def _values(node, data: pd.DataFrame, whole: str, scaling) -> np.ndarray | float:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Name):
        series = data[node.id]
        if (
            pd.api.types.is_bool_dtype(series)
            or not pd.api.types.is_numeric_dtype(series)
            or isinstance(series.dtype, pd.CategoricalDtype)
        ):
            raise TypeError(
                f"{whole!r} needs the column {node.id!r} to be numeric, but its dtype is "
                f"{series.dtype}; convert it with pandas.to_numeric, or use the column as a "
                "term of its own to treat it as a factor."
            )
        return series.to_numpy(dtype=float, na_value=np.nan)
    if isinstance(node, Paren):
        return _values(node.inner, data, whole, scaling)
    if isinstance(node, Unary):
        value = _values(node.operand, data, whole, scaling)
        return -value if node.op == "-" else value
    if isinstance(node, Binary):
        left = _values(node.left, data, whole, scaling)
        right = _values(node.right, data, whole, scaling)
        with np.errstate(all="ignore"):
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            if node.op == "*":
                return left * right
            if node.op == "/":
                return np.true_divide(left, right)
            if node.op == "^":
                return np.power(left, right)
        raise ValueError(f"Cannot evaluate {_text(node)!r} in {whole!r}.")
    if isinstance(node, Call):
        value = _values(node.args[0], data, whole, scaling)
        if node.fn == "I":
            return value
        if node.fn == "scale":
            value = np.broadcast_to(np.asarray(value, dtype=float), (len(data),))
            key = _text(node)
            if scaling is not None and key in scaling:
                center, scale = scaling[key]
            else:
                center, scale = _scale_parameters(value)
            return (value - center) / scale
        with np.errstate(all="ignore"):
            return NUMERIC_FUNCTIONS[node.fn](value)
    raise ValueError(f"Cannot evaluate {_text(node)!r} in {whole!r}.")


def _scale_parameters(value: np.ndarray) -> tuple[float, float]:
    """R's scale(): the mean and sqrt(sum(x^2) / (n - 1)) of the centred non-missing values."""
    present = value[~np.isnan(value)]
    center = float(present.mean()) if len(present) else np.nan
    centred = present - center
    return center, float(np.sqrt(np.sum(centred**2) / max(1, len(present) - 1)))


def scale_parameters(expression: str, data: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Centre and scale of every ``scale(...)`` inside ``expression``, computed on ``data``.

    Kept by the model frame so that new data are scaled as the fit's data were (R's
    ``makepredictcall`` for ``scale``).
    """
    out: dict[str, tuple[float, float]] = {}

    def visit(node) -> None:
        if isinstance(node, Call):
            for arg in node.args:
                visit(arg)
            if node.fn == "scale":
                value = np.broadcast_to(
                    np.asarray(_values(node.args[0], data, expression, out), dtype=float),
                    (len(data),),
                )
                out[_text(node)] = _scale_parameters(value)
        elif isinstance(node, Paren):
            visit(node.inner)
        elif isinstance(node, Unary):
            visit(node.operand)
        elif isinstance(node, Binary):
            visit(node.left)
            visit(node.right)

    visit(_parse(expression))
    return out


def is_factor_call(expression: str) -> bool:
    """True for ``factor(x)``, ``as.factor(x)`` and ``C(x)``."""
    node = _parse(expression)
    return isinstance(node, Call) and node.fn in FACTOR_FUNCTIONS


def evaluate(
    expression: str,
    data: pd.DataFrame,
    *,
    scaling: Mapping[str, tuple[float, float]] | None = None,
) -> pd.Series:
    """Compute a variable expression of a formula on ``data``, as R's ``model.frame`` does.

    Parameters
    ----------
    expression : str
        A column name (backticked when it is not a syntactic R name), ``I(...)`` arithmetic
        (``+ - * / ^``, numbers, columns), a numeric function (``log``, ``log2``, ``log10``,
        ``log1p``, ``exp``, ``sqrt``, ``abs``, ``sin``, ``cos``, ``scale``) or
        ``factor(x)``/``as.factor(x)``/``C(x)``.
    data : pandas.DataFrame
        The data.
    scaling : mapping, optional
        ``{"scale(x)": (center, scale)}`` to scale as a fit did (R's ``makepredictcall``);
        by default ``scale()`` uses the mean and SD (n - 1) of ``data``.

    Returns
    -------
    pandas.Series
        Named by the expression, on ``data``'s index: the column itself for a name, floats for
        arithmetic, the column as it is for ``factor()``-style calls (the model frame codes it
        as a factor).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [1.0, 2.0, 4.0]})
    >>> evaluate("I((x - 1)^2)", d).tolist()
    [0.0, 1.0, 9.0]
    >>> evaluate("scale(x)", d).round(3).tolist()
    [-0.873, -0.218, 1.091]
    """
    node = _parse(expression)
    name = _text(node)
    if isinstance(node, Name):
        if node.id not in data.columns:
            raise KeyError(f"Column {node.id!r} is not in data.")
        return data[node.id].rename(name)
    if isinstance(node, Call) and node.fn in FACTOR_FUNCTIONS:
        return data[node.args[0].id].rename(name)
    _check_arithmetic(node, expression, node)
    value = _values(node, data, name, scaling)
    value = np.broadcast_to(np.asarray(value, dtype=float), (len(data),))
    return pd.Series(value, index=data.index, name=name)
