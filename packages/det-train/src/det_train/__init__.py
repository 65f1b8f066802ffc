"""Object detection with YOLOv8n through Ultralytics (work in progress)."""
