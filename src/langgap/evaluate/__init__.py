"""langgap.evaluate: the gap in models: benchmarks, probes, judges, metrics and reports."""
