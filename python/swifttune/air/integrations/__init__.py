"""Ray's ``ray.air.integrations``: experiment tracking (``mlflow``), over the real library,
imported only when used."""
