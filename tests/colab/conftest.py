"""The Colab twin's helpers, importable by the tests beside them (pytest runs in importlib mode).

`twin` (this folder) builds and inspects twins; `notebook_checks` (tests/) says what each
notebook's recorded run must hold, for the uv-environment and the twin notebook tests alike.
"""

import sys
from pathlib import Path

HERE = Path(__file__).parent
for folder in (HERE, HERE.parent):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
