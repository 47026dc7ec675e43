"""``swifttune.train``: where Ray has ``ray.train.RunConfig`` and friends."""
from ..tune.checkpoint import Checkpoint, CheckpointConfig
from ..tune.impl.config import FailureConfig, RunConfig
from ..tune.session import get_checkpoint, report

__all__ = ["RunConfig", "FailureConfig", "CheckpointConfig", "Checkpoint", "report", "get_checkpoint"]
