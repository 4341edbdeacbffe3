"""Time the sealed answers: writing a student's seals, a student's check, one brute-force guess.

Run from the repository root with the instructor's tools installed (``make venv``), or with
``PYTHONPATH=$PWD:$PWD/instructor``: ``.venv/bin/python benchmarks/seals.py``. Prints a markdown
table; each time is the median of a few repetitions (wall clock, seconds). The last rows say what
brute-forcing a seal costs (the instructor page states it): one PBKDF2 hash per candidate bin.
"""

from __future__ import annotations

from _timing import median_time

from hlmtutor.course import _seal, assignment_data, check_icc, load_seals
from hlmtutor_instructor import tasks


def main() -> None:
    rows = []
    for name in ("a1", "a2", "a3"):
        rows.append((f"seals of one student's {name} notebook (fits included)",
                     median_time(lambda name=name: tasks.seals(name, "s001"), 3)))  # fmt: skip
    load_seals(_seal.dumps(tasks.seals("a2", "s001")))
    data = assignment_data("a2", "s001")
    rows.append(("a student's check_icc (wrong answer: every bin hashed)",
                 median_time(lambda: check_icc(0.5, data))))  # fmt: skip
    guess = median_time(lambda: _seal._digest("00" * 16, "a:1"), 20)
    rows.append(("one brute-force guess (one hash)", guess))
    bins = round(1 / (0.005 / _seal.STEPS))
    rows.append((f"every bin of an ICC in [0, 1] ({bins} hashes)", bins * guess))
    print("| what | seconds |\n|---|---:|")
    for what, seconds in rows:
        print(f"| {what} | {seconds:.4f} |")


if __name__ == "__main__":
    main()
