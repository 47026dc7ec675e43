"""Integrations of swifttune's Swift searchers into other frameworks (``swifttune.integrations.ray``)."""
