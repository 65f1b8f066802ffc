"""The Colab twin: a Python 3.13 environment holding Colab's own package versions.

`uv.lock` shows what uv picks for the workspace; it never shows what `pip` picks on Colab, where
our packages are installed on top of Colab's preinstalled numpy, pandas, torch and friends. The
twin is that situation, rebuilt here from Colab's published `pip freeze`:

- `pip-freeze.gpu.txt` beside this file is Colab's list (googlecolab/backend-info, GPU runtime,
  2026-08-19, Python 3.13.15). Refresh it when Colab moves.
- The twin holds every package of that list that our workspace's dependency tree (uv.lock) names
  as well, at Colab's version — that is every package pip can meet while installing ours, plus
  Colab's Jupyter stack (ipykernel 6.17, IPython 7.34) for the kernel. torch 2.11.0 and
  torchvision 0.26.0 come from PyPI (Colab's `+cu128` builds come from PyTorch's index; same
  release); the CUDA runtime wheels are torch's own choice, not Colab's pins.
- Python is 3.13.0 from pyenv here (Colab: 3.13.15).

What the twin cannot see: a Colab package outside our dependency tree that pins one of the
packages an install upgrades (pip's conflict check only knows what is installed). For the
upgrades on `ALLOWED_CHANGES`, the Colab packages that depend on them were checked by hand.

Each notebook gets a fresh twin (uv hard-links the packages from its cache, so a twin costs
seconds after the first), runs its own install cell — `%pip install` from a local git URL of the
checkout — and then the whole notebook in smoke mode. `ALLOWED_CHANGES` below is the explicit list
of Colab packages an install may upgrade; anything else changing fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
REPO_ROOT = HERE.parents[1]
FREEZE = HERE / "pip-freeze.gpu.txt"

# Never changed by any notebook's install: Colab's numerical stack and its CUDA torch. A change
# here means a user's other notebooks break after ours ran, or minutes of compiling on stage.
PROTECTED = ("torch", "torchvision", "numpy", "pandas", "pillow", "pyarrow")

# Colab packages an install may upgrade, each with the reason no older version can do. Measured
# in the twin (see the README's Colab section for what each notebook changes).
ALLOWED_CHANGES = {
    # wandb 0.31 is the SDK every W&B call here is written and tested against: offline run
    # read-back (`wandb leet inspect`), the new Registry paths and the Automations API; and
    # wandb-workspaces (the Reports API) needs >= 0.28.2 anyway. Colab has 0.28.1. Nothing on
    # Colab pins wandb, and nothing imports it before the install cell.
    "wandb": "the SDK the demos are written against (>=0.31)",
    # wandb 0.31 requires opentelemetry >= 1.43 (its telemetry exporter); Colab has 1.42.1. The
    # 1.x API is stable, and Colab's opentelemetry-resourcedetector-gcp 1.14 asks for ~=1.30.
    "opentelemetry-api": "wandb 0.31 requires >=1.43",
    "opentelemetry-sdk": "wandb 0.31 requires >=1.43",
    "opentelemetry-semantic-conventions": "moves with opentelemetry-sdk",
}

# Colab packages outside our dependency tree that pin a package an install upgrades. They are
# in the twin so that pip meets them as it does on Colab; found by reading the requirements of
# Colab's packages that use wandb's dependencies (opentelemetry, protobuf, pydantic).
COLAB_DEPENDENTS = ("google-adk",)

# pip's conflict report for such a dependent, accepted with the reason. The install cell shows
# one Korean line in place of pip's block when it lists these alone (its KNOWN_CONFLICT; the
# rules test checks that both name the same pairs); any other conflict stays verbatim and fails.
ALLOWED_CONFLICTS = {
    # google-adk 2.7.1 (Google's agent SDK, preinstalled) caps opentelemetry at 1.42.1; every
    # wandb release from 0.28.2 on requires >= 1.43, and wandb-workspaces (the Reports API)
    # requires wandb >= 0.28.2. A notebook that uses google-adk needs a fresh runtime anyway.
    ("google-adk", "opentelemetry-api"): "wandb >= 0.28.2 requires opentelemetry >= 1.43",
    ("google-adk", "opentelemetry-sdk"): "wandb >= 0.28.2 requires opentelemetry >= 1.43",
}

# Colab's pins that are not versions of packages we could meet (local CUDA builds, tools).
EXCLUDE = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")

# pip's messages that mean the install is not clean on Colab.
RESOLVER_CONFLICT = "dependency resolver does not currently take into account"
BUILT_FROM_SOURCE = re.compile(r"Building wheel for (\S+)")
OUR_PACKAGES = {
    "wb-common", "cls-train", "seg-train", "det-train", "video-train", "llm-train", "gen-train",
    "viewer",
}  # fmt: skip


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_versions() -> dict[str, str]:
    """Colab's published list as {normalized name: version}, local build tags dropped."""
    versions = {}
    for line in FREEZE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or " @ " in line or "==" not in line:
            continue
        name, version = line.split("==", 1)
        versions[normalize(name)] = version.split("+")[0]
    return versions


def workspace_package_names() -> set[str]:
    """Every package name in uv.lock: our dependency tree, dev tools (Jupyter) included."""
    import tomllib

    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    return {normalize(package["name"]) for package in lock["package"]}


def twin_requirements() -> list[str]:
    """The pins a twin is built from: Colab's version of every package our tree can meet."""
    ours = workspace_package_names()
    colab = colab_versions()
    pins = [
        f"{name}=={version}"
        for name, version in colab.items()
        if (name in ours or name in COLAB_DEPENDENTS)
        and not EXCLUDE.match(name)
        and name not in OUR_PACKAGES
    ]
    return [*sorted(pins), f"pip=={colab['pip']}"]


def find_python313() -> str:
    """Python 3.13: $WB_DEMO_TWIN_PYTHON, else pyenv's, else one on PATH."""
    if os.environ.get("WB_DEMO_TWIN_PYTHON"):
        return os.environ["WB_DEMO_TWIN_PYTHON"]
    candidates = []
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
        candidates += sorted(Path(root, "versions").glob("3.13*/bin/python3.13"), reverse=True)
    if shutil.which("python3.13"):
        candidates.append(Path(shutil.which("python3.13")))
    for candidate in candidates:
        if Path(candidate).exists():
            return str(candidate)
    raise FileNotFoundError("no Python 3.13 found: set WB_DEMO_TWIN_PYTHON to one")


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the uv venv and without this machine's pip settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(name, None)
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["PIP_CONFIG_FILE"] = os.devnull  # Colab has no pip.conf; ignore this machine's
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra or {})
    return env


def use_clean_env(monkeypatch, extra: dict[str, str] | None = None) -> None:
    """Make this process's environment `clean_env(extra)`: what a twin's kernel and pip inherit."""
    env = clean_env(extra)
    for name in [n for n in os.environ if n not in env]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if os.environ.get(name) != value:
            monkeypatch.setenv(name, value)


def build_twin(path: Path, python: str | None = None) -> Path:
    """A fresh virtualenv at `path` with Colab's versions; returns its python."""
    python = python or find_python313()
    path.parent.mkdir(parents=True, exist_ok=True)
    requirements = path.parent / f"{path.name}-requirements.txt"
    requirements.write_text("\n".join(twin_requirements()) + "\n")
    env = clean_env()
    subprocess.run(["uv", "venv", "--clear", "--python", python, str(path)], check=True, env=env)
    twin_python = path / "bin" / "python"
    subprocess.run(
        ["uv", "pip", "install", "--python", str(twin_python), "-r", str(requirements)],
        check=True,
        env=env,
    )
    return twin_python


def installed_versions(twin_python: Path) -> dict[str, str]:
    script = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    out = subprocess.run(
        [str(twin_python), "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return {normalize(name): version for name, version in json.loads(out).items()}


def changed_colab_packages(before: dict[str, str], after: dict[str, str]) -> dict[str, tuple]:
    """{name: (before, after)} for every preinstalled package that changed or disappeared."""
    return {
        name: (version, after.get(name))
        for name, version in before.items()
        if after.get(name) != version and name not in OUR_PACKAGES
    }


CONFLICT_LINE = re.compile(
    r"^(\S+) \S+ requires ([A-Za-z0-9_.\-]+).*which is incompatible\.$", re.MULTILINE
)


def resolver_conflicts(pip_output: str) -> list[tuple[str, str, str]]:
    """(dependent, requirement, line) for each conflict pip's resolver banner lists."""
    # pip colours the banner red, and a notebook's stream keeps the terminal's \r\n.
    clean = re.sub(r"\x1b\[[0-9;]*m", "", pip_output).replace("\r\n", "\n")
    return [
        (normalize(m.group(1)), normalize(m.group(2)), m.group(0))
        for m in CONFLICT_LINE.finditer(clean)
    ]


def error_lines(output: str) -> list[str]:
    """pip's `ERROR:` lines in a cell's rendered output (colours and \\r stripped)."""
    clean = re.sub(r"\x1b\[[0-9;]*m", "", output).replace("\r", "")
    return [line[:200] for line in clean.splitlines() if line.lstrip().startswith("ERROR:")]


def install_problems(changes: dict[str, tuple], pip_output: str) -> list[str]:
    """Why this install would not be clean on Colab (empty: it is)."""
    problems = []
    for name, (old, new) in sorted(changes.items()):
        if name in PROTECTED:
            problems.append(f"{name} changed {old} -> {new}: Colab's own {name} must stay")
        elif name not in ALLOWED_CHANGES:
            problems.append(f"{name} changed {old} -> {new}, not on ALLOWED_CHANGES")
    for dependent, requirement, line in resolver_conflicts(pip_output):
        if (dependent, requirement) not in ALLOWED_CONFLICTS:
            problems.append(f"pip reported a dependency conflict: {line}")
    if RESOLVER_CONFLICT in pip_output and not resolver_conflicts(pip_output):
        problems.append("pip printed its resolver-conflict banner")
    # What the audience sees: the install cell turns the one known conflict into a Korean line,
    # so any `ERROR:` left in its output is a real one (another conflict, a failed build).
    problems += [f"the install cell shows pip's {line!r}" for line in error_lines(pip_output)]
    for built in sorted(set(BUILT_FROM_SOURCE.findall(pip_output))):
        if normalize(built) not in OUR_PACKAGES:
            problems.append(f"pip built {built} from source")
    return problems


def snapshot_repo(dest: Path) -> str:
    """A git repository at `dest` holding the working tree as it is now (committed or not).

    The notebooks install from `git+file://…`, which takes commits only; the snapshot lets the
    twin test what is on disk, not only what was committed. Returns its file:// URL.
    """
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO_ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, files):
        source = REPO_ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git = ["git", "-c", "user.name=twin", "-c", "user.email=twin@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=dest, check=True)
    subprocess.run([*git, "add", "-A"], cwd=dest, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "snapshot"], cwd=dest, check=True)
    return dest.as_uri()


def write_kernelspec(jupyter_dir: Path, twin_python: Path, name: str = "colab-twin") -> str:
    spec = jupyter_dir / "kernels" / name
    spec.mkdir(parents=True, exist_ok=True)
    kernel = {
        "argv": [str(twin_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab twin (Python 3.13)",
        "language": "python",
    }
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return name
