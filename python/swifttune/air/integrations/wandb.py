"""Ray's Weights & Biases integration (``ray.air.integrations.wandb``): not in swifttune yet;
``WandbLoggerCallback`` and ``setup_wandb`` are refused by name."""
from __future__ import annotations

from typing import Any

__all__ = ["WandbLoggerCallback", "setup_wandb"]

_INSTEAD = ("log from the trainable with wandb yourself (wandb.init(...) and wandb.log(...) in your function), or use "
            "MLflowLoggerCallback (swifttune.air.integrations.mlflow)")


class WandbLoggerCallback:
    """Refused (``NotImplementedError``): swifttune has no W&B callback yet."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"WandbLoggerCallback is not supported by swifttune yet; {_INSTEAD}.")


def setup_wandb(*args: Any, **kwargs: Any) -> Any:
    """Refused (``NotImplementedError``): swifttune has no W&B set-up yet."""
    raise NotImplementedError(f"setup_wandb is not supported by swifttune yet; {_INSTEAD}.")
