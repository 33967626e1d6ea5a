"""langgap: measure and close the language gap in LLM safety."""

__version__ = "0.1.0"
