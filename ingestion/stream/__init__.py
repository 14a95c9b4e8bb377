"""Camera events from MQTT into bronze Delta: micro-batches, exactly once, dead letters, compaction.

* :mod:`ingestion.stream.consumer` — the consumer (``citylake stream``, ``python -m ingestion.stream.consumer``,
  or ``StreamConsumer(settings).run(stop)``)
* :mod:`ingestion.stream.dedupe` — what bronze already holds: event ids by observation minute, dead-letter hashes
* :mod:`ingestion.stream.compaction` — small-file compaction and vacuum of the bronze tables
"""
