"""Files and text the grader handles on behalf of untrusted notebooks (``hlmtutor grade``).

- :func:`read_capped` reads a file a notebook could have replaced: never through a symbolic
  link (``O_NOFOLLOW``), only a regular file (not a FIFO or a device such as
  ``/proc/self/mem``), and only up to a size limit.
- :class:`OutputFolder` writes the grader's outputs atomically (a new file renamed over the
  old), relative to a folder descriptor opened without following links, so a link planted in
  the output folder redirects nothing and a half-written file is never seen.
- :func:`quoted` turns notebook text into a fenced Markdown block no text can break out of.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

__all__: list[str] = []

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class Unreadable(Exception):
    """A file the grader will not read, and why (for the feedback)."""


def read_capped(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, not read through a link.

    Raises
    ------
    Unreadable
        Missing, a symbolic link, not a regular file, larger than ``limit``, or unreadable.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    except FileNotFoundError:
        raise Unreadable("it does not exist") from None
    except OSError as error:
        if Path(path).is_symlink():
            raise Unreadable("it is a symbolic link, which the grader does not follow") from None
        raise Unreadable(f"it cannot be opened ({error.strerror})") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable("it is not a regular file")
        if info.st_size > limit:
            raise Unreadable(f"it is larger than the limit of {limit / 1e6:g} MB")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise Unreadable(f"it is larger than the limit of {limit / 1e6:g} MB")
        return b"".join(chunks)
    except OSError as error:
        raise Unreadable(f"it cannot be read ({error.strerror})") from None
    finally:
        os.close(descriptor)


def is_link(path: Path) -> bool:
    """Whether ``path`` itself is a symbolic link (never following it)."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


# Where the system lacks folder descriptors (Windows), paths are used instead.
_AT = os.open in os.supports_dir_fd and os.replace in os.supports_dir_fd


class OutputFolder:
    """A folder the grader writes into through a descriptor (links inside are not followed)."""

    def __init__(self, path: str | Path, descriptor: int | None = None) -> None:
        self.path = Path(path)
        if descriptor is None:
            self.path.mkdir(parents=True, exist_ok=True)
            if _AT:
                descriptor = os.open(self.path, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
        self.fd = descriptor

    def _name(self, name: str) -> str:
        """``name`` relative to the descriptor, or the full path without one."""
        return name if self.fd is not None else str(self.path / name)

    def _at(self) -> dict[str, int]:
        return {} if self.fd is None else {"dir_fd": self.fd}

    def sub(self, name: str) -> OutputFolder:
        """The sub-folder ``name``, made when missing; a link in its place is refused."""
        try:
            os.mkdir(self._name(name), **self._at())
        except FileExistsError:
            pass
        if self.fd is None:  # pragma: no cover - Windows
            if is_link(self.path / name) or not (self.path / name).is_dir():
                raise OSError(
                    f"{self.path / name} is not a folder the grader can write into; remove it "
                    "and grade again"
                )
            return OutputFolder(self.path / name, None)
        try:
            descriptor = os.open(
                name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=self.fd
            )
        except OSError as error:
            raise OSError(
                f"{self.path / name} is not a folder the grader can write into "
                f"({error.strerror}); remove it and grade again"
            ) from None
        return OutputFolder(self.path / name, descriptor)

    def write(self, name: str, data: bytes) -> Path:
        """Write ``name`` atomically: a new file, flushed to disk, renamed over any old one."""
        temporary = f".{name}.{secrets.token_hex(8)}.partial"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
        descriptor = os.open(self._name(temporary), flags, 0o644, **self._at())
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            at = {} if self.fd is None else {"src_dir_fd": self.fd, "dst_dir_fd": self.fd}
            os.replace(self._name(temporary), self._name(name), **at)
        except BaseException:
            try:
                os.unlink(self._name(temporary), **self._at())
            except OSError:
                pass
            raise
        return self.path / name

    def append(self, name: str, data: bytes) -> None:
        """Append to ``name`` (made when missing) and flush it to disk before returning."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW | _CLOEXEC
        descriptor = os.open(self._name(name), flags, 0o644, **self._at())
        with os.fdopen(descriptor, "ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def remove(self, name: str) -> None:
        os.unlink(self._name(name), **self._at())

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)


# ANSI colour codes (tracebacks carry them) and other control characters but tab and newline.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def plain(text: object, limit: int = 400) -> str:
    """``text`` without control characters, cut to ``limit`` characters (marked when cut)."""
    cleaned = _CONTROL.sub("", str(text))
    if len(cleaned) > limit:
        cleaned = cleaned[:limit] + " [... cut]"
    return cleaned


def inline(text: object, limit: int = 80) -> str:
    """Notebook text as inline Markdown code on one line, cut to ``limit`` characters.

    Examples
    --------
    >>> print(inline("a`b\\n\\n# c"))
    ``a`b # c``
    """
    body = " ".join(plain(text, limit).split())
    runs = [len(run) for run in re.findall(r"`+", body)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def quoted(text: object, limit: int = 400) -> str:
    """Notebook text as a fenced Markdown block, cut to ``limit`` characters.

    The fence is longer than any run of backticks in the text, so no line of it can close the
    block; inside it Markdown and HTML are shown as typed.

    Examples
    --------
    >>> print(quoted("x = 1\\n```\\n# Full marks"))
    ````text
    x = 1
    ```
    # Full marks
    ````
    """
    body = plain(text, limit)
    runs = [len(run) for run in re.findall(r"`+", body)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}text\n{body}\n{fence}"
