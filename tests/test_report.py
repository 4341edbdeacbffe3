"""Tests for hlmtutor.report: results tables built from fits, and their text form."""

import warnings

import numpy as np
import pandas as pd
import pytest

from hlmtutor import format_report, icc, lmer, load_school_survey, report_table
from hlmtutor.report import COLUMNS


@pytest.fixture(scope="module")
def fits():
    survey = load_school_survey().dropna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        null = lmer("score ~ 1 + (1 | school_id)", survey)
        slopes = lmer("score ~ ses + sector + (1 + ses | school_id)", survey)
        ml = lmer("score ~ ses + (1 | school_id)", survey, REML=False)
    return {"null": null, "slopes": slopes, "ml": ml}


def test_one_model_holds_fixef_variances_and_counts(fits):
    fit = fits["slopes"]
    table = report_table(fit)
    assert list(table.columns) == COLUMNS
    assert list(table.index.names) == ["section", "term"]
    fixed = table.loc["Fixed effects"]
    expected = fit.fixef[["Estimate", "Std. Error", "df", "Pr(>|t|)"]].set_axis(COLUMNS, axis=1)
    pd.testing.assert_frame_equal(fixed, expected, check_names=False)
    random = table.loc["Random effects", "estimate"]
    cov = fit.cov_re["school_id"]
    assert random["school_id: (Intercept) variance"] == pytest.approx(
        cov.loc["(Intercept)"].iloc[0]
    )
    assert random["school_id: ses variance"] == pytest.approx(cov.loc["ses", "ses"])
    correlation = cov.loc["(Intercept)", "ses"] / np.sqrt(
        cov.loc["(Intercept)", "(Intercept)"] * cov.loc["ses", "ses"]
    )
    assert random["school_id: (Intercept), ses correlation"] == pytest.approx(correlation)
    assert random["Residual variance"] == pytest.approx(fit.sigma**2)
    assert "ICC" not in random.index  # not defined with a random slope
    model = table.loc["Model", "estimate"]
    assert model["N observations"] == fit.nobs == 706
    assert model["N groups (school_id)"] == fit.ngroups["school_id"] == 29
    assert model["-2 log-likelihood (REML)"] == pytest.approx(fit.reml_criterion)
    assert table.loc[["Random effects", "Model"], ["SE", "df", "p"]].isna().all().all()


def test_icc_row_for_random_intercepts_and_ml_label(fits):
    table = report_table(fits["null"])
    assert table.loc[("Random effects", "ICC"), "estimate"] == pytest.approx(icc(fits["null"]))
    ml = report_table(fits["ml"])
    assert ("Model", "-2 log-likelihood (ML)") in ml.index
    assert ml.loc[("Model", "-2 log-likelihood (ML)"), "estimate"] == pytest.approx(
        -2 * fits["ml"].loglik
    )


def test_several_models_side_by_side(fits):
    table = report_table(fits["null"], fits["slopes"], names=["Null", "Slopes"])
    assert list(table.columns.get_level_values(0).unique()) == ["Null", "Slopes"]
    assert list(table.columns.get_level_values(1)[:4]) == COLUMNS
    sections = table.index.get_level_values("section")
    # Sections stay in order even though the first model lacks most rows.
    assert list(dict.fromkeys(sections)) == ["Fixed effects", "Random effects", "Model"]
    terms = table.loc["Fixed effects"].index.tolist()
    assert terms == list(fits["slopes"].fixef.index)
    assert np.isnan(table.loc[("Fixed effects", "ses"), ("Null", "estimate")])
    assert table.loc[("Random effects", "ICC"), ("Null", "estimate")] == pytest.approx(
        icc(fits["null"])
    )
    default = report_table(fits["null"], fits["slopes"])
    assert list(default.columns.get_level_values(0).unique()) == ["Model 1", "Model 2"]


def test_format_report_text(fits):
    table = report_table(fits["null"], fits["slopes"], names=["Null", "Slopes"])
    text = format_report(table, digits=2)
    assert text.shape == table.shape and (text.index == table.index).all()
    assert all(isinstance(v, str) for v in text.to_numpy().ravel())
    b = fits["slopes"].fixef.loc["ses"]
    row = text.loc[("Fixed effects", "ses"), "Slopes"]
    assert row["estimate"] == f"{b['Estimate']:.2f}"
    assert row["SE"] == f"{b['Std. Error']:.2f}"
    assert row["df"] == f"{b['df']:.1f}"
    assert text.loc[("Fixed effects", "ses"), ("Null", "estimate")] == ""
    assert text.loc[("Model", "N observations"), ("Null", "estimate")] == "706"
    icc_text = text.loc[("Random effects", "ICC"), ("Null", "estimate")]
    assert icc_text == f"{icc(fits['null']):.3f}"


@pytest.mark.parametrize(
    ("p", "text"), [(0.0004, "< .001"), (0.001, ".001"), (0.0344, ".034"), (0.5, ".500")]
)
def test_p_values_printed_without_leading_zero(p, text):
    table = pd.DataFrame(
        {"estimate": [1.0], "SE": [0.5], "df": [10.0], "p": [p]},
        index=pd.MultiIndex.from_tuples([("Fixed effects", "x")], names=["section", "term"]),
    )
    assert format_report(table).loc[("Fixed effects", "x"), "p"] == text


def test_bad_input_is_refused(fits):
    with pytest.raises(TypeError, match="at least one fit"):
        report_table()
    with pytest.raises(TypeError, match="argument 2 is a DataFrame"):
        report_table(fits["null"], pd.DataFrame())
    with pytest.raises(ValueError, match="names has 1 entries for 2 fits"):
        report_table(fits["null"], fits["slopes"], names=["only one"])
    with pytest.raises(ValueError, match="names must differ"):
        report_table(fits["null"], fits["slopes"], names=["a", "a"])
    with pytest.raises(TypeError, match="report_table"):
        format_report(pd.DataFrame({"estimate": [1.0]}))
    with pytest.raises(ValueError, match="digits"):
        format_report(report_table(fits["null"]), digits=-1)
