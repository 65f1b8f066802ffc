"""The Streamlit app, shipped inside the package so a pip-installed viewer can run it.

streamlit run "$(python -c 'import viewer.ui; print(viewer.ui.APP)')"
"""

from pathlib import Path

APP = Path(__file__).resolve().with_name("streamlit_app.py")
