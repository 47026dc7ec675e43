"""Ray Tune's ``ray.tune.utils`` package: here for its ``mock_trainable`` module (the trainable of
Ray's example scripts). Ray's helpers exported by ``ray.tune.utils`` itself (``flatten_dict``,
``deep_update``, ``validate_save_restore``, ...) are not provided by swifttune."""

__all__: list[str] = []
