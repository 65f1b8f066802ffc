"""`viewer-deploy`: validate a promoted model and record it as the one the viewer serves.

    viewer-deploy --payload-env CLIENT_PAYLOAD --allowed-entity my-team          # the workflow
    viewer-deploy --payload-file promo.json --allowed-entity my-team --artifact-dir ./artifact
    viewer-deploy --payload-file promo.json --allowed-entity my-team \
        --offline-run wandb/offline-run-20261126_101010-abcd1234     # no W&B account needed

The payload is data: read from a file or an environment variable and parsed as JSON, never put
into a shell line. In order, and stopping at the first failure:

1. the payload matches the schema and the allow-list (viewer.payload);
2. the same version is already deployed -> nothing to do, exit 0, nothing written;
3. the artifact is downloaded (or taken from --artifact-dir) and its model card read;
4. the model loads and answers the sample shipped with the app (a model that cannot serve is
   never deployed; LoRA models, not served on a CPU host, are checked for their card and files);
5. only then: the files are kept in models/, deployment.json is replaced atomically and the
   deployment is appended to deployments.jsonl.

Any failure exits 1 with one sentence on stderr, and deployment.json keeps every byte it had.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import tyro
from wb_common import ModelCard, ModelCardError

from viewer import deployment as dp
from viewer.payload import PayloadError, Promotion, allowed_entities, parse_payload


class DeployError(RuntimeError):
    """A deploy that must not happen; the message is one sentence."""


@dataclass
class Args:
    """Validate the promoted model version and make the viewer serve it."""

    payload_file: Path | None = None  # the client_payload JSON in a file
    payload_env: str | None = None  # ... or the name of an environment variable holding it
    allowed_entity: tuple[str, ...] = ()  # entities allowed to deploy; + $VIEWER_ALLOWED_ENTITIES
    artifact_dir: Path | None = None  # use these files instead of downloading (local, air-gapped)
    offline_run: Path | None = None  # ... or the model artifact an offline training run logged
    home: Path | None = None  # the viewer folder holding deployment.json (default: apps/viewer)


def read_payload(args: Args) -> str:
    if (args.payload_file is None) == (args.payload_env is None):
        raise DeployError("give exactly one of --payload-file PATH or --payload-env NAME.")
    if args.payload_env is not None:
        value = os.environ.get(args.payload_env)
        if value is None:
            raise DeployError(f"the environment variable {args.payload_env} is not set.")
        return value
    assert args.payload_file is not None
    try:
        return args.payload_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DeployError(f"cannot read the payload file {args.payload_file} ({err}).") from None


def offline_artifact(run_dir: Path, staging: Path) -> Path:
    """Copy the model artifact an offline run logged (its staged files) into `staging`."""
    from wb_common import read_run

    try:
        run = read_run(run_dir)
    except (FileNotFoundError, RuntimeError, OSError) as err:
        raise DeployError(f"--offline-run {run_dir}: {err}.") from None
    models = [a for a in run.artifacts if a.type == "model"]
    if not models:
        raise DeployError(f"the offline run {run_dir} logged no model artifact.")
    for name, path in models[-1].files.items():
        if Path(name).name != name:  # a model artifact is flat: weights + model_card.json
            continue
        try:
            shutil.copy2(path, staging / name)
        except OSError as err:
            raise DeployError(f"the offline run's file {name} is gone ({err}).") from None
    return staging


def local_folder(args: Args, staging: Path) -> Path | None:
    """The artifact folder given on the command line (--artifact-dir or --offline-run), if any."""
    if args.artifact_dir is not None and args.offline_run is not None:
        raise DeployError("give --artifact-dir or --offline-run, not both.")
    if args.offline_run is not None:
        return offline_artifact(args.offline_run, staging)
    if args.artifact_dir is not None and not args.artifact_dir.is_dir():
        raise DeployError(f"--artifact-dir {args.artifact_dir} is not a folder.")
    return args.artifact_dir


def fetch_artifact(promotion: Promotion, staging: Path) -> Path:
    """Download the promoted version into `staging` through wandb.Api."""
    from viewer import wandb_api

    api = wandb_api.connect()
    if api is None:
        raise DeployError(
            "no W&B API key (set WANDB_API_KEY), so the artifact cannot be downloaded; "
            "use --artifact-dir or --offline-run for local files."
        )
    try:
        wandb_api.download_artifact(api, promotion.artifact_path, promotion.alias, staging)
    except wandb_api.ServerError as err:
        raise DeployError(str(err)) from None
    except Exception as err:  # CommError, HTTP errors, a missing version, a full disk
        raise DeployError(
            f"downloading {promotion.artifact_path} failed ({type(err).__name__}: {err})."
        ) from None
    return staging


def read_card(folder: Path, promotion: Promotion) -> ModelCard:
    try:
        card = ModelCard.read(folder)
    except ModelCardError as err:
        raise DeployError(f"the artifact's model card is not usable: {err}.") from None
    if card.model_type != promotion.model_type:
        raise DeployError(
            f"{promotion.collection} must hold a {promotion.model_type} model, but its card "
            f"says {card.model_type}."
        )
    weights = folder / card.weights_file
    if not weights.is_file() or weights.stat().st_size == 0:
        raise DeployError(f"the artifact has no weights file {card.weights_file}.")
    return card


def smoke_test(folder: Path, card: ModelCard) -> dict:
    """Load the model and predict the shipped sample; LoRA: files only (see models.NOT_SERVED)."""
    from viewer.models import NOT_SERVED, ModelLoadError, load_model

    if card.model_type in NOT_SERVED:
        return {"served": False, "reason": NOT_SERVED[card.model_type]}
    from viewer.inference import predict
    from viewer.samples import load_sample

    try:
        served = load_model(folder, card)
        sample = load_sample(card)
        prediction = predict(served, sample)
    except ModelLoadError as err:
        raise DeployError(f"the model does not load: {err}") from None
    except Exception as err:  # a forward pass that fails: wrong input size, broken module
        raise DeployError(
            f"the model loaded but failed on the sample ({type(err).__name__}: {err})."
        ) from None
    return {
        "served": True,
        "prediction": prediction.summary,
        "latency_ms": round(prediction.latency_ms, 1),
    }


def keep_files(folder: Path, names: list[str], target: Path) -> None:
    """Copy the validated files into models/<name>-<version>/ (replacing a stale copy)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    for name in names:
        shutil.copy2(folder / name, partial / name)
    if target.exists():
        shutil.rmtree(target)
    partial.rename(target)


def deploy(args: Args) -> str:
    """Run the whole deploy; return the success line, raise DeployError otherwise."""
    home = args.home or dp.default_home()
    try:
        allowed = allowed_entities(args.allowed_entity, dict(os.environ))
        promotion = parse_payload(read_payload(args), allowed)
    except PayloadError as err:
        raise DeployError(f"rejected payload: {err}") from None
    try:
        current = dp.read_deployments(home)
    except dp.DeploymentError as err:
        raise DeployError(f"{err} Fix or delete it, then deploy again.") from None
    previous = current.get(promotion.model_type)
    with tempfile.TemporaryDirectory(prefix="viewer-deploy-") as tmp:
        staging = Path(tmp)
        local = local_folder(args, staging)
        if previous is not None and previous.artifact_path == promotion.artifact_path:
            # A registry version never changes, so the path says it all; local files must match.
            if local is None or _same_files(local, previous):
                return f"{promotion.artifact_path} is already deployed; nothing changed."
            raise DeployError(
                f"{local} differs from the files deployed as {promotion.artifact_path}."
            )
        folder = local or fetch_artifact(promotion, staging)
        source = "wandb" if local is None else "local"
        card = read_card(folder, promotion)
        result = smoke_test(folder, card)
        names = [card.weights_file, "model_card.json"]
        new = dp.Deployment(
            model_type=promotion.model_type,
            model_name=promotion.collection,
            version=promotion.version,
            artifact_path=promotion.artifact_path,
            deployed_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            deployed_by=promotion.author,
            source=source,
            files=dp.file_hashes(folder, names),
            card=card.to_dict(),
            smoke_test=result,
        )
        keep_files(folder, names, dp.model_folder(home, new))

    record(home, {**current, promotion.model_type: new}, new)
    outcome = result.get("prediction") or "card and files checked, not served on CPU"
    return f"deployed {promotion.artifact_path} ({promotion.model_type}; sample: {outcome})."


def _same_files(folder: Path, deployed: dp.Deployment) -> bool:
    try:
        return dp.file_hashes(folder, list(deployed.files)) == deployed.files
    except OSError:
        return False


def record(home: Path, deployments: dict[str, dp.Deployment], new: dp.Deployment) -> None:
    """Write deployment.json, then the history; if the history fails, put the old bytes back."""
    path = home / dp.DEPLOYMENT_FILE
    old = path.read_bytes() if path.exists() else None
    dp.write_atomic(path, dp.manifest_bytes(deployments))
    try:
        dp.append_history(home, new)
    except OSError as err:
        if old is None:
            path.unlink()
        else:
            dp.write_atomic(path, old)
        raise DeployError(
            f"could not append to {dp.HISTORY_FILE} ({err}); nothing deployed."
        ) from None


def main(argv: list[str] | None = None) -> int:
    args = tyro.cli(Args, args=argv, description=__doc__.split("\n\n")[0])
    try:
        print(f"viewer-deploy: {deploy(args)}")
        return 0
    except DeployError as err:
        print(f"viewer-deploy: {err}", file=sys.stderr)
    except Exception as err:  # a bug or an environment problem: still one sentence, still no change
        print(f"viewer-deploy: unexpected {type(err).__name__}: {err}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
