"""Object detection with YOLOv8n through Ultralytics' trainer, recorded in one W&B run."""

from det_train.yolo_env import set_ultralytics_environment

# Before anything imports ultralytics: it reads its config folder and its online check at import.
set_ultralytics_environment()
