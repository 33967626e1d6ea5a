"""Which training examples, in which language, drive refusal (`langgap analyze influence`)."""
