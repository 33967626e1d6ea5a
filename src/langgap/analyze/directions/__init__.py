"""Where refusal lives per language: difference-in-means directions (`analyze directions`)."""
