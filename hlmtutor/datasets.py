"""Data sets shipped with hlmtutor: High School and Beyond (HSB) and a simulated school survey.

The 1982 HSB sample of Raudenbush & Bryk's *Hierarchical Linear Models* (ch. 4): 7,185
students in 160 US high schools, as R's ``nlme`` package ships it (``MathAchieve`` and
``MathAchSchool``). The school survey is hlmtutor's own simulation of the kind of file a reader
brings: string ids, unequal schools, text categories and missing values. Provenance:
``hlmtutor/data/README.md``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = ["load_hsb", "load_hsb_schools", "load_school_survey", "school_survey_path"]

SECTORS = ["Public", "Catholic"]
SCHOOL_COLUMNS = ["school", "size", "sector", "pracad", "disclim", "himinty", "meanses"]
STUDENT_COLUMNS = ["school", "minority", "female", "ses", "mathach", "meanses"]
HSB_COLUMNS = [*STUDENT_COLUMNS, "size", "sector", "pracad", "disclim", "himinty"]
SURVEY_COLUMNS = ["student_id", "school_id", "sector", "teacher_exp", "gender", "ses", "score"]
SURVEY_FILE = "school_survey.csv"


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


def school_survey_path() -> Path:
    """Where the school survey's CSV file is installed, to read it as any CSV file.

    Returns
    -------
    pathlib.Path
        The path of ``school_survey.csv`` inside the installed package.

    Notes
    -----
    ``importlib.resources.files("hlmtutor") / "data" / "school_survey.csv"``, as a real path
    (the package is installed as files, not zipped). :func:`load_school_survey` reads it.

    Examples
    --------
    >>> from hlmtutor import school_survey_path
    >>> school_survey_path().name
    'school_survey.csv'
    """
    return Path(str(resources.files(__package__).joinpath("data", SURVEY_FILE)))


def load_school_survey() -> pd.DataFrame:
    """A simulated survey of 772 students in 30 schools, with the mess of real data.

    Returns
    -------
    pandas.DataFrame
        772 rows, one per student, grouped by school, columns:

        - ``student_id`` (str): ``"ST-0001"`` ...;
        - ``school_id`` (str): ``"SCH-02"`` ... (30 schools, numbers with gaps);
        - ``sector`` (str): ``"Public"`` (14 schools), ``"Catholic"`` (9) or
          ``"Independent"`` (7);
        - ``teacher_exp`` (float): the school's mean years of teaching experience of its
          mathematics staff; missing for every student of one school (``"SCH-32"``);
        - ``gender`` (str): ``"female"`` or ``"male"``; missing for 12 students;
        - ``ses`` (float): the student's socio-economic status (standardized scale); missing
          for 34 students;
        - ``score`` (float): mathematics score, the outcome; never missing.

        Schools have between 5 and 60 students. Missing values are NaN.

    Notes
    -----
    hlmtutor's own simulation (``book/_tools/school_survey.py``, seeded), not real students:
    a random intercept and a random SES slope per school, sector and staff-experience effects,
    within- and between-school SES effects, SES missing more often for low scorers.
    The data-generating model and its values are in ``hlmtutor/data/README.md``. Reading the
    file yourself, ``pd.read_csv(school_survey_path())``, gives the same frame. In R:
    ``read.csv(path, na.strings = c("", "NA"))`` (without ``na.strings`` an empty text cell
    is the string ``""``, not ``NA``).

    Examples
    --------
    >>> from hlmtutor import load_school_survey
    >>> survey = load_school_survey()
    >>> survey.shape
    (772, 7)
    >>> survey["school_id"].nunique()
    30
    >>> survey.isna().sum().to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'student_id': 0, 'school_id': 0, 'sector': 0, 'teacher_exp': 26, 'gender': 12,
     'ses': 34, 'score': 0}
    """
    return _school_survey().copy()


@cache
def _school_survey() -> pd.DataFrame:
    with resources.files(__package__).joinpath("data", SURVEY_FILE).open("r") as handle:
        data = pd.read_csv(
            handle,
            dtype={"student_id": "str", "school_id": "str", "sector": "str", "gender": "str"},
        )
    if list(data.columns) != SURVEY_COLUMNS:
        raise ValueError(
            f"{SURVEY_FILE} should have the columns {SURVEY_COLUMNS}; found {list(data.columns)}"
        )
    return data
