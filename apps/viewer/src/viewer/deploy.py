"""`viewer-deploy`: validate a promoted model and record it as the one the viewer serves.

    viewer-deploy --payload-env CLIENT_PAYLOAD --allowed-entity my-team          # the workflow
    viewer-deploy --payload-file promo.json --allowed-entity my-team --artifact-dir ./artifact
    viewer-deploy --payload-file promo.json --allowed-entity my-team \
        --offline-run wandb/offline-run-20261126_101010-abcd1234     # no W&B account needed
    viewer-deploy --offline-run wandb/offline-run-20261126_101010-abcd1234   # your own run

Which collections a payload may deploy is the deployer's configuration: `collections.toml`
beside deployment.json (`[collections]` name = "model type"; the six demo collections without
it) plus `--collections NAME=MODEL_TYPE`. A local deploy of an offline run needs no payload: it
is recorded as entity `local`, under the collection the run linked its model to (its queued
Registry link), as the next local version of that collection (v0, v1, ...).

The payload is data: read from a file or an environment variable and parsed as JSON, never put
into a shell line. In order, and stopping at the first failure:

1. the payload matches the schema and the allow-list (viewer.payload); a manual deploy or
   rollback (`--manual`, the workflow's workflow_dispatch) names a version and needs no alias;
2. with W&B: a version given as an alias (`:production`) is resolved to `vN` through the API;
3. the same version is already deployed -> nothing to do, exit 0, nothing written;
4. the artifact is checked to be that version of the allow-listed registry collection and, for a
   promotion, to still hold the alias; then only its `model_card.json` and weights file are
   downloaded, each after its manifest size passed a bound (viewer.serving.download_served), or
   taken from --artifact-dir; the card is read strictly (wb_common.card) and the weights must be
   a format the model type loads, by suffix and by bytes (no TorchScript, no ONNX);
5. the model loads and answers the sample shipped with the app with finite outputs (a model that
   cannot serve is never deployed; LoRA models, not served on a CPU host, are checked for their
   card and files). Ultralytics checkpoints load with its safe loader (viewer.models): nothing
   the artifact carries runs;
6. only then, under the manifest lock: the files are kept in models/, and deployment.json and
   deployments.jsonl are updated crash-consistently (viewer.deployment.record).

Any failure prints one sentence on stderr and deployment.json keeps every byte it had: exit 2
when the input is refused (payload, card, weights, sample check), exit 1 when the deploy could not
finish (no W&B key, the server, a damaged manifest).
`--entry-out FILE` also writes the new entry alone: the workflow's second job, which holds the
write token but never runs the artifact, records it on the branch tip (`python -m viewer.record`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import tyro
from wb_common import ModelCard, ModelCardError
from wb_common.card import WeightsFormatError, check_weights
from wb_common.entry import argument_errors

from viewer import deployment as dp
from viewer import registry_version
from viewer.models import require_safe_load
from viewer.payload import (
    PayloadError,
    Promotion,
    allowed_entities,
    check_collection,
    load_collections,
    parse_payload,
)
from viewer.serving import DownloadRefused, download_served

REFUSED, FAILED = 2, 1  # exit codes: the input is refused / the deploy could not finish

DESCRIPTION = (
    "`viewer-deploy`: 승격된 모델을 검증하고 뷰어가 서빙하는 모델로 기록합니다 / "
    "validate a promoted model and record it as the one the viewer serves."
)


class DeployError(RuntimeError):
    """A deploy that must not happen; the message is one sentence, `code` the exit code."""

    def __init__(self, message: str, code: int = REFUSED) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Args:
    """승격된 모델 버전을 검증하고 뷰어가 서빙하게 합니다 / Validate the promoted model version
    and make the viewer serve it."""

    payload_file: Path | None = None  # 페이로드 파일 / the client_payload JSON in a file
    payload_env: str | None = None
    """페이로드 환경 변수 / ... or the name of an environment variable holding it"""
    allowed_entity: tuple[str, ...] = ()
    """배포를 허용할 엔터티 / entities allowed to deploy; + $VIEWER_ALLOWED_ENTITIES"""
    artifact_dir: Path | None = None
    """아티팩트 폴더 / use these files instead of downloading (local, air-gapped)"""
    offline_run: Path | None = None
    """오프라인 실행 폴더 / ... or the model artifact an offline training run logged"""
    home: Annotated[
        Path | None, tyro.conf.arg(help_behavior_hint="(default: $VIEWER_HOME, else apps/viewer)")
    ] = None
    """뷰어 폴더 / the viewer folder holding deployment.json"""
    manual: bool = False
    """수동 배포·롤백 / a manual deploy or rollback: a MANUAL_DEPLOY payload, no alias needed"""
    sequence: int = 0
    """워크플로 실행 번호 / the workflow's run id: a later-triggered run's deploy is never undone"""
    entry_out: Path | None = None
    """기록 항목 출력 파일 / also write the recorded entry (JSON) here when it changed"""
    collections: tuple[str, ...] = ()
    """더 받을 컬렉션 / also accept these: NAME=MODEL_TYPE (+ collections.toml)"""


def read_payload(args: Args) -> str:
    if (args.payload_file is None) == (args.payload_env is None):
        raise DeployError(
            "페이로드는 --payload-file PATH와 --payload-env NAME 중 하나로만 주세요(내 run의 "
            "로컬 배포는 --offline-run RUN_DIR만) — give exactly one of --payload-file PATH or "
            "--payload-env NAME (or --offline-run RUN_DIR alone for a local deploy of your own "
            "run)."
        )
    if args.payload_env is not None:
        value = os.environ.get(args.payload_env)
        if value is None:
            raise DeployError(
                f"환경 변수 {args.payload_env}이(가) 설정되지 않았습니다 — the environment "
                f"variable {args.payload_env} is not set."
            )
        return value
    assert args.payload_file is not None
    try:
        return args.payload_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DeployError(
            f"페이로드 파일 {args.payload_file}을(를) 읽을 수 없습니다 — cannot read the payload "
            f"file {args.payload_file} ({err})."
        ) from None


LOCAL_ENTITY = "local"  # a local deploy of an offline run with no payload


def _linked_collection(run_dir: Path, config: dict) -> str | None:
    """The Registry collection the run linked (or queued, or deferred) its model to."""
    from wb_common.pending import DONE_FILE, PENDING_FILE, read_queue  # bounded, no symlinks

    targets = [
        str(action.get("target", ""))
        for name in (PENDING_FILE, DONE_FILE)
        for action in read_queue(run_dir / name)[0]
        if action.get("action") == "link"
    ]
    deferred = config.get("registry_target")
    targets += [deferred] if isinstance(deferred, str) else []
    return targets[-1].rsplit("/", 1)[-1] if targets else None


def _run_unreadable(run_dir: Path, err: Exception) -> str:
    return f"오프라인 run 폴더를 읽을 수 없습니다 — --offline-run {run_dir}: {err}."


def local_promotion(run_dir: Path, home: Path, current: dict[str, dp.Deployment]) -> Promotion:
    """What `viewer-deploy --offline-run RUN` with no payload deploys: the run's own model."""
    from wb_common import read_run
    from wb_common.tasks import REGISTRY, registry_path, task_of_model_type

    try:
        run = read_run(run_dir)
    except (FileNotFoundError, RuntimeError, OSError) as err:
        raise DeployError(_run_unreadable(run_dir, err)) from None
    models = [a for a in run.artifacts if a.type == "model"]
    if not models or "model_card.json" not in models[-1].files:
        raise DeployError(
            f"오프라인 run에 모델 아티팩트가 없습니다 — the offline run {run_dir} logged no model "
            "artifact with a model card."
        )
    files = models[-1].files
    try:
        card = ModelCard.read(files["model_card.json"])
    except ModelCardError as err:
        raise DeployError(_card_refused(err)) from None
    collection = _linked_collection(run_dir, run.config)
    collection = collection or task_of_model_type(card.model_type).collection
    try:
        check_collection(collection, card.model_type)
    except PayloadError as err:
        raise DeployError(str(err)) from None
    prefix = registry_path(collection, entity=LOCAL_ENTITY) + ":v"
    now = current.get(card.model_type)
    hashes = {
        n: dp.sha256_file(files[n]) for n in (card.weights_file, "model_card.json") if n in files
    }
    if now is not None and now.artifact_path.startswith(prefix) and now.files == hashes:
        version = now.version  # this very model is served: nothing to do
    else:
        numbers = [
            int(path.removeprefix(prefix))
            for entry in dp.read_history(home)
            if isinstance(path := entry.get("artifact_path"), str)
            and path.startswith(prefix)
            and path.removeprefix(prefix).isdigit()
        ]
        version = f"v{max(numbers) + 1}" if numbers else "v0"
    return Promotion(LOCAL_ENTITY, REGISTRY, collection, version, "", LOCAL_ENTITY, card.model_type)


def offline_artifact(run_dir: Path, staging: Path) -> Path:
    """Copy the model artifact an offline run logged (its staged files) into `staging`."""
    from wb_common import read_run

    try:
        run = read_run(run_dir)
    except (FileNotFoundError, RuntimeError, OSError) as err:
        raise DeployError(_run_unreadable(run_dir, err)) from None
    models = [a for a in run.artifacts if a.type == "model"]
    if not models:
        raise DeployError(
            f"오프라인 run에 모델 아티팩트가 없습니다 — the offline run {run_dir} logged no model "
            "artifact."
        )
    for name, path in models[-1].files.items():
        if Path(name).name != name:  # a model artifact is flat: weights + model_card.json
            continue
        try:
            shutil.copy2(path, staging / name)
        except OSError as err:
            raise DeployError(
                f"오프라인 run의 파일 {name}이(가) 없습니다 — the offline run's file {name} is "
                f"gone ({err})."
            ) from None
    return staging


def local_folder(args: Args, staging: Path) -> Path | None:
    """The artifact folder given on the command line (--artifact-dir or --offline-run), if any."""
    if args.artifact_dir is not None and args.offline_run is not None:
        raise DeployError(
            "모델 파일은 --artifact-dir와 --offline-run 중 하나로만 주세요 — give "
            "--artifact-dir or --offline-run, not both."
        )
    if args.offline_run is not None:
        return offline_artifact(args.offline_run, staging)
    if args.artifact_dir is not None and not args.artifact_dir.is_dir():
        raise DeployError(
            f"주어진 --artifact-dir {args.artifact_dir}은(는) 폴더가 아닙니다 — --artifact-dir "
            f"{args.artifact_dir} is not a folder."
        )
    return args.artifact_dir


def server_api():
    api = registry_version.connect()
    if api is None:
        raise DeployError(
            "W&B API 키가 없어 아티팩트를 내려받을 수 없습니다(WANDB_API_KEY를 설정하거나, 로컬 "
            "파일은 --artifact-dir 또는 --offline-run으로) — no W&B API key (set WANDB_API_KEY), "
            "so the artifact cannot be downloaded; use --artifact-dir or --offline-run for local "
            "files.",
            FAILED,
        )
    return api


def resolve(api, promotion: Promotion) -> Promotion:
    """`...:production` -> the concrete version that holds it now, through the API."""
    try:
        version = registry_version.resolve_version(api, promotion.artifact_path)
    except registry_version.ServerError as err:
        raise DeployError(str(err), FAILED) from None
    except Exception as err:  # CommError, HTTP errors, a missing collection
        raise DeployError(
            f"레지스트리에서 {promotion.artifact_path}의 버전을 확인하지 못했습니다 — resolving "
            f"{promotion.artifact_path} failed ({type(err).__name__}: {err}).",
            FAILED,
        ) from None
    return dataclasses.replace(promotion, version=version)


def _weights_name(folder: Path) -> str:
    try:
        return ModelCard.read(folder).weights_file
    except ModelCardError as err:
        raise DeployError(_card_refused(err)) from None


def fetch_artifact(api, promotion: Promotion, staging: Path) -> Path:
    """Download the promoted version's card and weights (nothing else) into `staging`."""
    try:
        artifact = registry_version.checked_artifact(api, promotion.artifact_path, promotion.alias)
        download_served(artifact, staging, _weights_name)
    except registry_version.ServerError as err:
        raise DeployError(str(err), FAILED) from None
    except DownloadRefused as err:
        raise DeployError(str(err)) from None  # Korean first where it is raised
    except DeployError:
        raise
    except Exception as err:  # CommError, HTTP errors, a missing version, a full disk
        raise DeployError(
            f"아티팩트 {promotion.artifact_path}을(를) 내려받지 못했습니다 — downloading "
            f"{promotion.artifact_path} failed ({type(err).__name__}: {err}).",
            FAILED,
        ) from None
    return staging


def _card_refused(err: ModelCardError) -> str:
    return f"모델 카드를 받아들일 수 없습니다 — the artifact's model card is not usable: {err}."


def read_card(folder: Path, promotion: Promotion) -> ModelCard:
    try:
        card = ModelCard.read(folder)
    except ModelCardError as err:
        raise DeployError(_card_refused(err)) from None
    if card.model_type != promotion.model_type:
        raise DeployError(
            f"컬렉션 {promotion.collection}에는 {promotion.model_type} 모델이 있어야 하는데 "
            f"모델 카드는 {card.model_type}입니다 — {promotion.collection} must hold a "
            f"{promotion.model_type} model, but its card says {card.model_type}."
        )
    if Path(card.weights_file).name != card.weights_file or card.weights_file in ("", ".", ".."):
        raise DeployError(
            f"모델 카드의 weights_file {card.weights_file!r}은(는) 파일 이름이 아닙니다 — the "
            f"card's weights_file {card.weights_file!r} is not a file name."
        )
    weights = folder / card.weights_file
    if not weights.is_file() or weights.stat().st_size == 0:
        raise DeployError(
            f"아티팩트에 가중치 파일 {card.weights_file}이(가) 없습니다 — the artifact has no "
            f"weights file {card.weights_file}."
        )
    try:  # by bytes, before anything loads it (the app's loader checks again)
        check_weights(weights, card)
    except WeightsFormatError as err:
        raise DeployError(str(err)) from None  # Korean first where it is raised
    return card


def smoke_test(folder: Path, card: ModelCard) -> dict:
    """Load the model and predict the shipped sample; LoRA: files only (see models.NOT_SERVED)."""
    from viewer.models import NOT_SERVED, ModelLoadError, load_model

    if card.model_type in NOT_SERVED:
        return {"served": False, "reason": NOT_SERVED[card.model_type]}
    from viewer.inference import NonFiniteOutput, predict
    from viewer.samples import load_sample

    try:
        served = load_model(folder, card)
        sample = load_sample(card)
        prediction = predict(served, sample)
    except ModelLoadError as err:
        raise DeployError(f"모델을 불러오지 못했습니다 — the model does not load: {err}") from None
    except NonFiniteOutput as err:
        raise DeployError(
            f"앱에 들어 있는 샘플에서 출력이 유한하지 않아 배포하지 않았습니다 — "
            f"{str(err).rstrip('.')} on the bundled sample; not deployed."
        ) from None
    except Exception as err:  # a forward pass that fails: wrong input size, broken module
        raise DeployError(
            f"모델은 불러왔지만 샘플 예측에 실패했습니다 — the model loaded but failed on the "
            f"sample ({type(err).__name__}: {err})."
        ) from None
    return {
        "served": True,
        "prediction": prediction.summary,
        "latency_ms": round(prediction.latency_ms, 1),
    }


def keep_files(folder: Path, names: list[str], target: Path) -> None:
    """Copy the validated files into models/<name>-<version>/ (replacing a stale copy)."""
    partial = dp.scratch_dir(target.parent, target.name)
    for name in names:
        shutil.copy2(folder / name, partial / name)
    if target.exists():
        shutil.rmtree(target)
    partial.rename(target)


def deploy(args: Args) -> str:
    """Run the whole deploy; return the success line, raise DeployError otherwise."""
    home = args.home or dp.default_home()
    local = args.payload_file is None and args.payload_env is None and args.offline_run is not None
    try:
        collections = load_collections(home, args.collections)
        allowed = set() if local else allowed_entities(args.allowed_entity, dict(os.environ))
    except PayloadError as err:  # the deployer's own configuration
        raise DeployError(str(err)) from None
    promotion = None
    if not local:
        try:
            promotion = parse_payload(read_payload(args), allowed, collections)
        except PayloadError as err:
            raise DeployError(f"페이로드를 거부했습니다: {err}") from None
    if promotion is not None and promotion.manual != args.manual:
        raise DeployError(
            "수동 배포 페이로드에는 --manual이, --manual에는 수동 배포 페이로드가 필요합니다 — a "
            "manual deploy payload needs --manual (the workflow's manual run), and --manual "
            "needs a manual payload (python -m viewer.payload manual)."
        )
    try:
        with dp.locked(home):  # finish what a killed run left before reading anything
            dp.recover(home)
        current = dp.read_deployments(home)
    except dp.DeploymentError as err:
        raise DeployError(_manifest_problem(err), FAILED) from None
    if promotion is None:
        assert args.offline_run is not None
        promotion = local_promotion(args.offline_run, home, current)
    staging = dp.scratch_dir(home / dp.MODELS_DIR, "staging")
    try:
        new = _validate(args, promotion, current.get(promotion.model_type), staging)
        if isinstance(new, str):
            return new
        with dp.locked(home):
            keep_files(staging / "validated", [*new.files], dp.model_folder(home, new))
        outcome = dp.record(home, new)
    except dp.DeploymentError as err:
        raise DeployError(_manifest_problem(err), FAILED) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not outcome.startswith("deployed "):  # already deployed, or a newer deploy recorded
        return f"바뀐 것이 없습니다 — {outcome}"
    if args.entry_out is not None:
        args.entry_out.write_text(json.dumps(new.to_dict(), ensure_ascii=False), encoding="utf-8")
    sample = new.smoke_test.get("prediction") or "card and files checked, not served on CPU"
    return f"배포했습니다 — {outcome} ({new.model_type}; sample: {sample})."


def _manifest_problem(err: dp.DeploymentError) -> str:
    return (
        f"배포 기록을 읽거나 쓸 수 없어 배포하지 않았으니 고치거나 지운 뒤 다시 배포하세요 — "
        f"{err} Fix or delete it, then deploy again."
    )


def _validate(
    args: Args, promotion: Promotion, previous: dp.Deployment | None, staging: Path
) -> dp.Deployment | str:
    """Steps 2-5: the validated Deployment (files in staging/validated), or a no-change line."""
    local = local_folder(args, staging)
    api = None
    if local is None:
        api = server_api()
        if not promotion.resolved:
            promotion = resolve(api, promotion)
    elif not promotion.resolved:
        raise DeployError(
            f"로컬 파일에는 버전(:v<N>)이 필요한데 {promotion.artifact_path}은(는) 별칭입니다 — "
            f"{promotion.artifact_path} names an alias; local files need a version (:v<N>)."
        )
    if previous is not None and previous.artifact_path == promotion.artifact_path:
        # A registry version never changes, so the path says it all; local files must match.
        if local is None or _same_files(local, previous):
            return (
                f"이미 배포된 버전이라 바뀐 것이 없습니다 — "
                f"{promotion.artifact_path} is already deployed; nothing changed."
            )
        raise DeployError(
            f"폴더 {local}의 파일이 {promotion.artifact_path}로 배포된 파일과 다릅니다 — {local} "
            f"differs from the files deployed as {promotion.artifact_path}."
        )
    folder = local or fetch_artifact(api, promotion, staging / "download")
    card = read_card(folder, promotion)
    names = [card.weights_file, "model_card.json"]
    validated = staging / "validated"  # a private copy: what is tested is what is kept
    validated.mkdir()
    for name in names:
        shutil.copy2(folder / name, validated / name)
    result = smoke_test(validated, card)
    return dp.Deployment(
        model_type=promotion.model_type,
        model_name=promotion.collection,
        version=promotion.version,
        artifact_path=promotion.artifact_path,
        deployed_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        deployed_by=promotion.author,
        source="wandb" if local is None else "local",
        files=dp.file_hashes(validated, names),
        card=card.to_dict(),
        smoke_test=result,
        sequence=args.sequence,
    )


def _same_files(folder: Path, deployed: dp.Deployment) -> bool:
    try:
        return dp.file_hashes(folder, list(deployed.files)) == deployed.files
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    require_safe_load()  # before anything imports ultralytics in this process
    with argument_errors("viewer-deploy"):  # a typo is one sentence, not tyro's English box
        args = tyro.cli(Args, args=argv, prog="viewer-deploy", description=DESCRIPTION)
    try:
        print(f"viewer-deploy: {deploy(args)}")
        return 0
    except DeployError as err:
        print(f"viewer-deploy: {err}", file=sys.stderr)
        return err.code
    except Exception as err:  # a bug or an environment problem: still one sentence, still no change
        print(
            f"viewer-deploy: 예상하지 못한 오류로 배포하지 않았습니다 — unexpected "
            f"{type(err).__name__}: {err}",
            file=sys.stderr,
        )
    return 1


if __name__ == "__main__":
    sys.exit(main())
