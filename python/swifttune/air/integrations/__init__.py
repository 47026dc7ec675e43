"""Ray's ``ray.air.integrations``: experiment tracking (``mlflow``, ``wandb``), over the real libraries,
imported only when used."""
