"""predict(re_form=...) with R's meanings against lme4 (tests/reference/api.R): every random
term, none (``re.form = NA`` / ``~0``), the terms a one-sided formula names, new and missing
levels of the grouping factor."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hlmtutor import lmer

REF = Path(__file__).parent / "reference" / "api"
TEXT = {"Subject": str, "dose": str}
RTOL = 1e-4


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, dtype=TEXT, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def fits():
    data = read("sleep.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "two": lmer("Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", data),
            "corr": lmer("Reaction ~ Days + (Days | Subject)", data),
        }


@pytest.mark.parametrize(
    "model, re_form, column",
    [
        ("two", None, "two_all"),
        ("two", "NA", "two_none"),
        ("two", "~(1 | Subject)", "two_int"),
        ("two", "~ (0 + Days | Subject)", "two_slope"),
        ("corr", "~(1|Subject)", "corr_int"),
        ("corr", "~0", "corr_zero"),
    ],
)
def test_re_form_matches_lme4(fits, model, re_form, column):
    """predict(m, newdata, re.form = ..., allow.new.levels = TRUE): subject 999 is new and the
    last row's subject is NA, both at the population value."""
    ref = pd.read_csv(REF / "newdata_predict.csv")[column].to_numpy()
    ours = fits[model].predict(read("newdata.csv"), re_form=re_form, allow_new_levels=True)
    np.testing.assert_allclose(ours.to_numpy(), ref, rtol=RTOL)


def test_re_false_is_re_form_na_and_strings_are_refused(fits):
    fit = fits["corr"]
    new = read("newdata.csv")
    np.testing.assert_array_equal(fit.predict(new, re=False), fit.predict(new, re_form="NA"))
    np.testing.assert_array_equal(fit.predict(re=True), fit.fitted())
    with pytest.raises(TypeError, match="re must be True.*not 'NA'.*re_form"):
        fit.predict(new, re="NA")
    with pytest.raises(TypeError, match="re_form must be None.*not False"):
        fit.predict(new, False)
    with pytest.raises(ValueError, match="not a one-sided formula"):
        fit.predict(new, re_form="(1 | Subject)")
    with pytest.raises(ValueError, match="either re.*or re_form"):
        fit.predict(new, re_form="NA", re=False)


def test_re_form_naming_a_term_not_in_the_fit_is_an_error(fits):
    with pytest.raises(ValueError, match=r"\(1 \| Days\), which is not in the fit.*Subject"):
        fits["corr"].predict(read("newdata.csv"), re_form="~(1 | Days)")
    with pytest.raises(ValueError, match=r"\(dose \| Subject\) does not fit the model.*'dose'"):
        fits["corr"].predict(read("newdata.csv"), re_form="~(dose | Subject)")


def test_missing_grouping_value_is_a_clear_error_without_allow_new_levels(fits):
    new = read("newdata.csv").iloc[[0, 4]]
    with pytest.raises(ValueError, match="not seen in the fit: NA \\(NA is a missing value"):
        fits["corr"].predict(new)
