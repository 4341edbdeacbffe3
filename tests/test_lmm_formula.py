"""hlmtutor.lmm.formula against R 4.2.2 + lme4 1.1-31 (references by tests/reference/formula.R)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hlmtutor.lmm.formula import (
    Formula,
    LinearPart,
    RandomTerm,
    deparse,
    evaluate,
    parse_formula,
)

REF = Path(__file__).parent / "reference" / "formula"


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False)


def _by_formula(name: str) -> dict[str, pd.DataFrame]:
    table = _ref(name)
    return {f: rows for f, rows in table.groupby("formula", sort=False)}


@pytest.mark.parametrize("formula", list(_by_formula("deparse.csv")))
def test_deparse_matches_r(formula):
    expected = _by_formula("deparse.csv")[formula].sort_values("line")["text"].tolist()
    assert deparse(formula) == expected


@pytest.mark.parametrize("formula", list(_by_formula("frames.csv")))
def test_fixed_terms_in_r_order(formula):
    row = _by_formula("frames.csv")[formula].iloc[0]
    expected = tuple(row["term_labels"].split(";")) if row["term_labels"] else ()
    parsed = parse_formula(formula)
    assert parsed.fixed.term_labels == expected
    assert parsed.fixed.intercept == ("-1 +" not in formula and "~ 0 +" not in formula)


@pytest.mark.parametrize("formula", list(_by_formula("findbars.csv")))
def test_random_terms_in_findbars_order_with_lme4_names(formula):
    bars = _by_formula("findbars.csv")[formula].sort_values("position")
    names = dict(
        zip(
            _by_formula("random_terms.csv")[formula]["label"],
            _by_formula("random_terms.csv")[formula]["name"],
            strict=True,
        )
    )
    parsed = parse_formula(formula)
    assert [t.label for t in parsed.random] == bars["label"].tolist()
    assert [t.name for t in parsed.random] == [names[label] for label in bars["label"]]


def test_the_designed_example():
    f = parse_formula("y ~ x*sex + I(x^2) + (1 + x | school) + (1 | school:class)")
    assert isinstance(f, Formula)
    assert f.response == "y"
    assert f.fixed == LinearPart(
        terms=(("x",), ("sex",), ("I(x^2)",), ("x", "sex")), intercept=True
    )
    assert f.random == (
        RandomTerm(LinearPart((("x",),), True), ("school",), "school", "1 + x | school"),
        RandomTerm(LinearPart((), True), ("school", "class"), "school:class", "1 | school:class"),
    )
    assert f.variables == ("y", "x", "sex", "school", "class")


def test_double_bar_and_nesting_expand_as_lme4():
    two = parse_formula("y ~ x + (x || g)").random
    assert [(t.expr, t.name) for t in two] == [
        (LinearPart((), True), "g"),
        (LinearPart((("x",),), False), "g"),
    ]
    only = parse_formula("y ~ x + (0 + x || g)").random
    assert [(t.expr, t.name) for t in only] == [(LinearPart((("x",),), False), "g")]
    three = parse_formula("y ~ x + (1 + x + z || g)").random
    assert [t.label for t in three] == ["1 | g", "0 + x | g", "0 + z | g"]
    nested = parse_formula("y ~ 1 + (1 | batch/cask)").random
    assert [(t.name, t.factor) for t in nested] == [
        ("cask:batch", ("cask", "batch")),
        ("batch", ("batch",)),
    ]
    deep = parse_formula("y ~ 1 + (1 | a/b/c)").random
    assert [(t.name, t.factor) for t in deep] == [
        ("c:(b:a)", ("c", "b", "a")),
        ("b:a", ("b", "a")),
        ("a", ("a",)),
    ]
    same = parse_formula("y ~ x + (1 | g) + (0 + x | g)").random
    assert [t.name for t in same] == ["g", "g"]


def test_variable_expressions_take_r_spelling():
    f = parse_formula("y ~ log( x ) + I(x ^ 2) + scale(z)+factor(k) + `my var` + (1 | `a b`)")
    assert f.fixed.term_labels == ("log(x)", "I(x^2)", "scale(z)", "factor(k)", "`my var`")
    assert f.variables == ("y", "x", "z", "k", "my var", "a b")
    assert f.random[0].factor == ("a b",) and f.random[0].name == "a b"
    assert parse_formula("log(y) ~ x + (1 | g)").response == "log(y)"


def test_term_algebra():
    labels = lambda text: parse_formula(text + " + (1 | g)").fixed.term_labels  # noqa: E731
    assert labels("y ~ (a + b):(c + d)") == ("a:c", "a:d", "b:c", "b:d")
    assert labels("y ~ (a + b + c)^2") == ("a", "b", "c", "a:b", "a:c", "b:c")
    assert labels("y ~ a/b") == ("a", "a:b")
    assert labels("y ~ b:a + a:c + a") == ("a", "b:a", "a:c")
    assert labels("y ~ a*b - a:b") == ("a", "b")
    assert labels("y ~ a + a + a:a") == ("a",)
    assert not parse_formula("y ~ 1 + x - 1 + (1 | g)").fixed.intercept
    assert parse_formula("y ~ 0 + x + 1 + (1 | g)").fixed.intercept
    assert parse_formula("y ~ 0 + (1 | g)").fixed == LinearPart((), False)


@pytest.mark.parametrize(
    ("formula", "error", "match"),
    [
        ("y ~ . + (1 | g)", ValueError, r"uses '\.'"),
        ("g ~ x + (1 | g)", ValueError, "outcome 'g' is also a grouping factor"),
        ("y ~ g + (1 | g)", ValueError, "random intercept would not be identified"),
        ("y ~ factor(g) + x + (1 | g)", ValueError, "random intercept would not be identified"),
        ("y ~ foo(x) + (1 | g)", ValueError, r"Unknown function foo\(\).*I\(\), scale\(\)"),
        ("y ~ poly(x, 2) + (1 | g)", ValueError, r"poly\(\) .* not supported.*I\(x\^2\)"),
        ("y ~ log(x + (1 | g)", ValueError, "Unbalanced parentheses"),
        ("y ~ x) + (1 | g)", ValueError, "Unbalanced parentheses"),
        ("y ~ x", ValueError, "no random-effects term"),
        ("y ~ x - (1 | g)", ValueError, "random term .* is subtracted"),
        ("y ~ x + 1 | g", ValueError, "needs parentheses"),
        ("y ~ x + (1 | log(g))", ValueError, "grouping factor 'log\\(g\\)'"),
        ("y ~ x + (0 | g)", ValueError, "has no effects"),
        ("y ~ x + 3 + (1 | g)", ValueError, "number 3"),
        ("y ~ x & z + (1 | g)", ValueError, "Cannot read"),
        ("~ x + (1 | g)", ValueError, "needs an outcome"),
        ("y ~ I(x:z) + (1 | g)", ValueError, "arithmetic inside I"),
    ],
)
def test_bad_formulas_get_clear_errors(formula, error, match):
    with pytest.raises(error, match=match):
        parse_formula(formula)


def test_a_formula_must_be_a_string():
    with pytest.raises(TypeError, match="formula must be a string"):
        parse_formula(["y ~ x + (1 | g)"])
    with pytest.raises(TypeError, match="formula must be a string"):
        deparse(None)


def test_a_grouping_factor_may_be_a_slope_group_of_a_fixed_factor():
    # A fixed effect per group plus a random slope is identified; so is a fixed effect of the
    # outer factor with a random intercept of the inner one.
    parse_formula("y ~ g + (0 + x | g)")
    parse_formula("y ~ school + (1 | school:class)")


def test_evaluate_computes_r_arithmetic():
    d = pd.DataFrame({"x": [1.0, 2.0, 4.0], "z": [3.0, 5.0, 7.0], "g": ["a", "b", "a"]})
    assert evaluate("I((x - 1) * 2/3 + z^2)", d).tolist() == pytest.approx([9.0, 25 + 2 / 3, 51.0])
    assert evaluate("I(-x^2)", d).tolist() == [-1.0, -4.0, -16.0]
    assert evaluate("log2(x)", d).tolist() == [0.0, 1.0, 2.0]
    assert evaluate("sqrt(abs(I(-x)))", d).tolist() == pytest.approx([1.0, 2**0.5, 2.0])
    assert evaluate("x", d).name == "x"
    assert evaluate("factor(g)", d).tolist() == ["a", "b", "a"]
    scaled = evaluate("scale(x)", d)
    assert scaled.mean() == pytest.approx(0.0) and scaled.std(ddof=1) == pytest.approx(1.0)
    assert evaluate("scale(x)", d, scaling={"scale(x)": (1.0, 2.0)}).tolist() == [0.0, 0.5, 1.5]
    with pytest.raises(TypeError, match="column 'g' to be numeric"):
        evaluate("log(g)", d)
