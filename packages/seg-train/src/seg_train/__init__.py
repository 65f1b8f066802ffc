"""Oxford-IIIT Pet segmentation with DeepLabV3-MobileNetV3-Large, every W&B feature on the way."""
