"""The layer every CRM connector shares (Salesforce, HubSpot, Dynamics 365).

Modules, one job each:

- :mod:`connectors.common.errors` - typed :class:`~sheets_sync.errors.SourceError` subclasses
  (``CredentialsError``, ``PermissionDeniedError``, ``UnknownFieldError``,
  ``QuotaExceededError``, ``RetriesExhaustedError``, ``MalformedResponseError``,
  ``TransportSecurityError``, ``RequestRejectedError``) and
  ``error_for_status(service, status, where, detail)``.
- :mod:`connectors.common.http` - ``ApiSession(service, policy_for(settings))`` (or any
  ``RetryPolicy(...)``), a ``requests.Session`` to hand to any vendor client: timeout on every
  request, requests counted in ``session.stats``, retries only 429/5xx/timeouts with bounded
  exponential backoff + jitter and ``Retry-After``; ``add_listener(fn)`` to read response
  headers (rate-limit usage).
- :mod:`connectors.common.paging` - ``Paginator(fetch, next_token)``: iterate pages, refusing a
  repeated page token/URL.
- :mod:`connectors.common.streams` - ``select_streams(type, name, noun, wanted, catalogue,
  custom_fields)`` (the chosen streams, custom fields merged), ``with_custom_fields(streams,
  options["custom_fields"])``, ``mapped_fields(stream)``, ``records_frame(rows, fields)``,
  ``to_canonical(raw, stream, source, derive)`` (mapping -> namespaced ids -> ``conform``) and
  ``tables_from_parts``.
- :mod:`connectors.common.cursors` - ``parse_ts``, ``format_ts``, ``propose_cursor(seen,
  started_at, previous)`` (never past the sync's start).
- :mod:`connectors.common.incremental` - ``plan_read(...) -> ReadPlan`` (full or since a cursor).
- :mod:`connectors.common.cache` - ``RecordStore`` (``DiskRecordStore``, ``SqlRecordStore``,
  ``MemoryRecordStore``), ``store_for(cache_dir, state_store)``, ``StagedChanges`` (stage every
  stream's fetched records, write only on ``commit()``), ``fingerprint(fields)``.
- :mod:`connectors.common.calls` - ``call_with_retries(service, what, call, classify, policy,
  stats)``: the same retry policy around a call of a client that does not use ``requests``
  (hubspot-api-client's urllib3); ``classify`` marks what is ``Transient``.
- :mod:`connectors.common.ratelimit` - ``RateLimiter(windows)`` (sliding windows, e.g. 100 per
  10 s) and ``shared_limiter(key, windows)``, one per account across sources and reads.
- :mod:`connectors.common.options` - ``check_known``, ``secret`` (inline or ``<key>_env``),
  ``number`` and ``names`` for validating a source's options.
- :mod:`connectors.common.runner` - ``IncrementalReader``: the per-read loop tying the above
  together (plan each stream, fetch through a connector callback, stage, commit, build tables
  and propose cursors); ``plan()`` alone for connectors that batch first requests.
"""
