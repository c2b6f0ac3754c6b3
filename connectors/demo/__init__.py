"""The demo source: a deterministic, seeded, realistic multi-CRM company (see docs/demo-source.md).

- :class:`DemoSource` is the connector (``type: demo``);
- :func:`generate_universe` builds the whole company as compact frames, for benchmarks;
- :func:`canonical_tables` turns those frames into canonical tables for chosen parts.
"""

from connectors.demo.canonical import canonical_tables, iter_canonical_tables
from connectors.demo.source import DemoSource
from connectors.demo.universe import Company, generate_universe, shared_company

__all__ = [
    "Company",
    "DemoSource",
    "canonical_tables",
    "generate_universe",
    "iter_canonical_tables",
    "shared_company",
]
