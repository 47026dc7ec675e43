"""Where Ray keeps ``report``, ``get_checkpoint`` and ``Checkpoint`` for function trainables."""
from ..checkpoint import Checkpoint
from ..session import get_checkpoint, report

__all__ = ["Checkpoint", "get_checkpoint", "report"]
