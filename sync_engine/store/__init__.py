"""The data-access layer, one module per concern, used alike by the CLI, the studio and the control API.

:mod:`.connections` (connections), :mod:`.profiles` (sync profiles), :mod:`.sync_state` (links, shadows,
cursors, intents, retries), :mod:`.runs` (runs, items, failed records), :mod:`.conflicts` (held conflicts
and choices) and :mod:`.state` (all the engine needs, as one store). The job queue keeps its own store
(:mod:`sync_engine.jobs.store`); the service keeps its inbox and tokens (:mod:`sync_engine.service`).
"""
