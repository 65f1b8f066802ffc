"""UCF-101 video classification with R3D-18, every W&B feature on the way (PyAV decoding)."""
