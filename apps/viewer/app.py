"""Streamlit Community Cloud's main file; the app itself is `viewer/ui/streamlit_app.py`.

Cloud installs requirements.txt, not the workspace, so the two source folders go on sys.path
when `viewer` is not installed; then the packaged app runs exactly as `streamlit run` runs it.
"""

import runpy
import sys
from pathlib import Path

try:
    import viewer.ui
except ModuleNotFoundError:
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here / "src"), str(here.parents[1] / "packages" / "wb-common" / "src")]
    import viewer.ui

runpy.run_path(str(viewer.ui.APP), run_name="__main__")
