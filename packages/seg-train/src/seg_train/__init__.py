"""Oxford-IIIT Pet segmentation with DeepLabV3-MobileNetV3 (work in progress)."""
