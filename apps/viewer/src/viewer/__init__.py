"""Streamlit deployment viewer (app.py) and viewer-deploy: serve the model the Registry promoted."""
