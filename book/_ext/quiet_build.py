"""A successful ``make book`` prints what it did, not two configuration dumps and a kernel warning
per chapter. Both are removed where they arise; no warning or error of the build is hidden.

**The kernel warning.** ipykernel 7 warns, on the stderr the build shares, "Kernel is running over
TCP without encryption" whenever its kernel manager starts it without CurveZMQ keys: 19 times a
build, once per executed page. The cure is the one the warning names: the manager provisions the
keys. jupyter_client (8.10+) does so when its ``KernelManager.transport_encryption`` is ``"auto"``
and the kernelspec declares ``supported_encryption: curve`` (ipykernel's does); its default is
``"disabled"``. myst-nb executes the pages through jupyter-cache and nbclient, which create the
manager with no configuration of ours, so this extension makes nbclient's default manager class one
whose default policy is ``"auto"`` (where pyzmq has CurveZMQ). The kernels' traffic, on this
machine only, is then encrypted, and the warning has nothing to warn about.

**The configuration dumps.** myst-parser and myst-nb log their whole parsed configuration
(``MdParserConfig(...)``, ``NbParserConfig(...)``) at the INFO level when the builder starts.
A filter on exactly those two loggers drops exactly those two INFO records (recognised by their
``myst v%s:`` / ``myst-nb v%s:`` format); every other record of those loggers, and every warning
and error, passes.
"""

from __future__ import annotations

import logging
from typing import Any

# The two loggers (Sphinx prefixes "sphinx.") and the formats of the records dropped.
_DUMPS = {
    "sphinx.myst_parser.sphinx_ext.main": "myst v%s:",
    "sphinx.myst_nb.sphinx_ext": "myst-nb v%s:",
}


class DropConfigDump(logging.Filter):
    """Drop the INFO record whose format contains ``marker``; pass everything else."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and self.marker in str(record.msg))


def _encrypting_kernel_manager() -> type | None:
    """An AsyncKernelManager whose transport encryption policy defaults to "auto", or None
    where jupyter_client has no such policy or pyzmq no CurveZMQ."""
    import zmq
    from jupyter_client import AsyncKernelManager
    from traitlets import CaselessStrEnum

    if "transport_encryption" not in AsyncKernelManager.class_trait_names() or not zmq.has("curve"):
        return None

    class EncryptingKernelManager(AsyncKernelManager):
        """Provisions CurveZMQ keys for kernels whose kernelspec supports them."""

        transport_encryption = CaselessStrEnum(
            ["disabled", "auto", "required"],
            default_value="auto",
            config=True,
            help="As jupyter_client's, but 'auto' by default (book/_ext/quiet_build.py).",
        )

    return EncryptingKernelManager


def use_encrypting_kernel_manager() -> bool:
    """Make nbclient start kernels with manager-provisioned keys; whether it could.

    nbclient gives ``NotebookClient.kernel_manager_class`` a dynamic default, the method
    ``_kernel_manager_class_default`` (traitlets' ``_<trait>_default`` convention); the method is
    replaced by one that returns the encrypting manager. The result is checked on a client, so
    with another nbclient or traitlets the build runs as before (and the warning is printed)
    rather than half changed.
    """
    import nbformat
    from nbclient.client import NotebookClient

    manager = _encrypting_kernel_manager()
    if manager is None or "_kernel_manager_class_default" not in NotebookClient.__dict__:
        return False

    def encrypting_default(self: Any) -> type:
        return manager

    NotebookClient._kernel_manager_class_default = encrypting_default
    return NotebookClient(nbformat.v4.new_notebook()).kernel_manager_class is manager


def setup(app: Any) -> dict[str, Any]:
    for name, marker in _DUMPS.items():
        logging.getLogger(name).addFilter(DropConfigDump(marker))
    use_encrypting_kernel_manager()
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
