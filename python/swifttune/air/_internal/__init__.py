"""The machinery behind ``swifttune.air.integrations`` (private)."""
