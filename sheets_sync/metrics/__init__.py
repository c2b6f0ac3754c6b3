"""CRM metrics: the catalogue, the query engine, date ranges and the stage funnel.

Entry points: :func:`sheets_sync.metrics.catalogue.load_catalogue`,
:func:`sheets_sync.metrics.engine.run_query`, :func:`sheets_sync.metrics.engine.stage_funnel`
and :func:`sheets_sync.metrics.periods.resolve_range`. The query contract is in
:mod:`sheets_sync.metrics.query`.
"""
