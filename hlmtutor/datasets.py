"""Data sets shipped with hlmtutor: High School and Beyond (HSB).

The 1982 HSB sample of Raudenbush & Bryk's *Hierarchical Linear Models* (ch. 4): 7,185
students in 160 US high schools, as R's ``nlme`` package ships it (``MathAchieve`` and
``MathAchSchool``). Provenance: ``hlmtutor/data/README.md``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

__all__ = ["load_hsb", "load_hsb_schools"]

SECTORS = ["Public", "Catholic"]
SCHOOL_COLUMNS = ["school", "size", "sector", "pracad", "disclim", "himinty", "meanses"]
STUDENT_COLUMNS = ["school", "minority", "female", "ses", "mathach", "meanses"]
HSB_COLUMNS = [*STUDENT_COLUMNS, "size", "sector", "pracad", "disclim", "himinty"]


def _read_packaged_csv(name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath("data", name).open("r") as handle:
        # Keep ids and 0/1 codes as text while reading: "1224" is a name, not a number.
        return pd.read_csv(handle, dtype={"School": str, "HIMINTY": str})


def _yes_no(column: pd.Series, yes: str, no: str) -> pd.Series:
    """A two-valued text column as 0/1 integers (1 = ``yes``), refusing anything else."""
    unexpected = sorted(set(column.unique()) - {yes, no})
    if unexpected:
        raise ValueError(
            f"column {column.name!r} should hold only {no!r} and {yes!r}; found {unexpected!r}"
        )
    return (column == yes).astype("int64")


@cache
def _schools() -> pd.DataFrame:
    raw = _read_packaged_csv("hsb_schools.csv")
    return pd.DataFrame(
        {
            "school": raw["School"],
            "size": raw["Size"].astype("int64"),
            "sector": pd.Categorical(raw["Sector"], categories=SECTORS),
            "pracad": raw["PRACAD"],
            "disclim": raw["DISCLIM"],
            "himinty": _yes_no(raw["HIMINTY"], yes="1", no="0"),
            "meanses": raw["MEANSES"],
        }
    )


@cache
def _students() -> pd.DataFrame:
    raw = _read_packaged_csv("hsb_students.csv")
    return pd.DataFrame(
        {
            "school": raw["School"],
            "minority": _yes_no(raw["Minority"], yes="Yes", no="No"),
            "female": _yes_no(raw["Sex"], yes="Female", no="Male"),
            "ses": raw["SES"],
            "mathach": raw["MathAch"],
            "meanses": raw["MEANSES"],
        }
    )


def load_hsb_schools() -> pd.DataFrame:
    """The 160 schools of High School and Beyond, one row each.

    Returns
    -------
    pandas.DataFrame
        160 rows, columns:

        - ``school`` (str): school id, e.g. ``"1224"`` (a name, not a number);
        - ``size`` (int): enrolment;
        - ``sector`` (categorical, categories ``["Public", "Catholic"]``, Public first so
          that it is the reference level);
        - ``pracad`` (float): proportion of students on the academic track;
        - ``disclim`` (float): disciplinary climate (higher means more problems);
        - ``himinty`` (int): 1 if more than 40% of the students belong to a minority;
        - ``meanses`` (float): the school's mean ses as distributed with the data
          (``MEANSES``); close to, but not equal to, the mean of the students' ``ses``
          in :func:`load_hsb`.

    Notes
    -----
    R: ``nlme::MathAchSchool`` (columns ``School``, ``Size``, ``Sector``, ``PRACAD``,
    ``DISCLIM``, ``HIMINTY``, ``MEANSES``), renamed to lower case; ``HIMINTY`` turned
    from a factor "0"/"1" into 0/1 integers.

    Examples
    --------
    >>> from hlmtutor import load_hsb_schools
    >>> schools = load_hsb_schools()
    >>> schools.shape
    (160, 7)
    >>> schools["sector"].value_counts().sort_index()
    sector
    Public      90
    Catholic    70
    Name: count, dtype: int64
    """
    return _schools().copy()


def load_hsb() -> pd.DataFrame:
    """High School and Beyond: 7,185 students joined with their school's variables.

    Returns
    -------
    pandas.DataFrame
        7,185 rows in the original order (grouped by school), columns:

        - ``school`` (str): school id, e.g. ``"1224"``;
        - ``minority`` (int): 1 if the student belongs to an ethnic minority, else 0;
        - ``female`` (int): 1 for female students, 0 for male;
        - ``ses`` (float): the student's socio-economic status (a standardized scale);
        - ``mathach`` (float): mathematics achievement, the usual outcome;
        - ``meanses`` (float): the school's mean ses as distributed with the data;
        - the school's ``size``, ``sector``, ``pracad``, ``disclim`` and ``himinty``, as
          in :func:`load_hsb_schools`.

    Notes
    -----
    R: ``nlme::MathAchieve`` joined with ``nlme::MathAchSchool`` by ``School``
    (``Minority`` No/Yes and ``Sex`` Male/Female recoded 0/1 as ``minority`` and
    ``female``); the same students as ``mlmRev::Hsb82``. ``meanses`` is the original
    ``MEANSES`` distributed with the data, which differs slightly from
    ``group_mean(ses, school)``, the mean of these students' ``ses`` (what
    ``mlmRev::Hsb82`` calls ``meanses``). The published analyses (Raudenbush &
    Bryk, Table 4.3) use the original.

    Examples
    --------
    >>> from hlmtutor import load_hsb
    >>> hsb = load_hsb()
    >>> hsb.shape
    (7185, 11)
    >>> hsb["school"].nunique()
    160
    >>> print(round(hsb["mathach"].mean(), 3))
    12.748
    """
    schools = _schools().drop(columns="meanses")
    joined = _students().merge(schools, on="school", how="left", validate="many_to_one")
    missing = joined["sector"].isna()
    if missing.any():  # every student's school must be in the school file
        raise ValueError(
            f"{int(missing.sum())} students belong to schools missing from hsb_schools.csv, "
            f"e.g. school {joined.loc[missing, 'school'].iloc[0]!r}"
        )
    return joined[HSB_COLUMNS]
