"""langgap.datagen: planned layer (see ARCHITECTURE.md)."""
