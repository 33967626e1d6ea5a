"""Did safety survive fine-tuning: two checkpoints, language by language (`analyze compare`)."""
