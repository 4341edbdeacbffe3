"""Time the random data: RRandom's million normal and uniform draws (R's stream in numpy),
and simulate_classrooms (called thousands of times by power simulations).

Run: .venv/bin/python benchmarks/rng.py   (prints a table; best of several repeats)
"""

import timeit

from hlmtutor import RRandom, simulate_classrooms

N = 1_000_000
REPEATS = 5


def best_seconds(statement) -> float:
    return min(timeit.repeat(statement, number=1, repeat=REPEATS))


def main() -> None:
    cases = {
        "RRandom(123) (set.seed)": lambda: RRandom(123),
        f"rnorm({N:,})": lambda: RRandom(123).rnorm(N),
        f"runif({N:,})": lambda: RRandom(123).runif(N),
        f"rnorm({N:,}, mean=vector, sd=vector)": lambda: RRandom(123).rnorm(
            N, mean=[0.0, 10.0], sd=[1.0, 2.0, 3.0]
        ),
        "simulate_classrooms(40, 20) x 100": lambda: [
            simulate_classrooms(40, 20, seed=seed) for seed in range(100)
        ],
        "simulate_classrooms(160, 45) x 100": lambda: [
            simulate_classrooms(160, 45, seed=seed) for seed in range(100)
        ],
    }
    print(f"{'call':<42} {'seconds (best of ' + str(REPEATS) + ')':>22}")
    print("-" * 65)
    for name, call in cases.items():
        print(f"{name:<42} {best_seconds(call):>22.4f}")


if __name__ == "__main__":
    main()
