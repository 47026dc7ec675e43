"""Where Ray keeps ``RunConfig`` and its parts (``ray.tune.impl.config``)."""
