"""Command line: ``python -m hlmtutor ...`` (being written)."""


def main(argv: list[str] | None = None) -> int:
    raise SystemExit("hlmtutor: no commands yet")


if __name__ == "__main__":
    main()
