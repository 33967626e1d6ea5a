"""langgap.analyze: where refusal lives per language (activations, directions, interventions)."""
