"""langgap.analyze: planned layer (see ARCHITECTURE.md)."""
