"""Ray's ``ray.air``: its experiment-tracking integrations (``ray.air.integrations``)."""
