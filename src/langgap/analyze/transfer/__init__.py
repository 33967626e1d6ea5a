"""Does refusal training in one language transfer to others (`langgap analyze transfer`)."""
