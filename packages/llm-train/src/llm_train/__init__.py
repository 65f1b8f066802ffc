"""Qwen3-4B QLoRA fine-tuning on Korean instructions with TRL (work in progress)."""
