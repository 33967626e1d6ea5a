"""The lab's shared part, used by every room: model loading, activation capture, refusal
behaviour, LoRA training, prompt data and splits, experiment records, and the refusal model."""
