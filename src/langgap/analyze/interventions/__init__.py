"""Ablate or add refusal directions across languages: the transfer matrix (`analyze intervene`)."""
