"""langgap.evaluate: planned layer (see ARCHITECTURE.md)."""
