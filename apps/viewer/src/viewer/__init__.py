"""Streamlit deployment viewer and the viewer-deploy command (work in progress)."""
