"""hlmtutor.simulate (being written)."""

__all__: list[str] = []
