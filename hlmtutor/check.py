"""hlmtutor.check (being written)."""

__all__: list[str] = []
