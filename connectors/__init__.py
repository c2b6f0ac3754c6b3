"""Connectors: one package per data source, all implementing :class:`connectors.base.Source`."""
