"""UCF-101 video classification with R3D-18 (work in progress)."""
