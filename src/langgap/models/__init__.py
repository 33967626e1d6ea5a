"""Model access shared by all layers: local models exported and served for Inspect."""

from langgap.models.local import (
    LocalModelError,
    LocalServer,
    export_hf_folder,
    free_port,
    smollm2_gguf,
)

__all__ = ["LocalModelError", "LocalServer", "export_hf_folder", "free_port", "smollm2_gguf"]
