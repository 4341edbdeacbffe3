"""hlmtutor.models (being written)."""

__all__: list[str] = []
