"""Stable Diffusion 1.5 LoRA fine-tuning with diffusers (work in progress)."""
