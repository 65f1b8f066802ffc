"""The test doubles take no call the installed wandb SDK would refuse.

    uv run --all-packages pytest packages/wb-testing

A test that passes against a test double of `wandb.Api` (or `wandb.sweep`, `wandb.agent`) but
calls it with a keyword the SDK does not have, or leaves out an argument the SDK requires, would
pass here and fail on stage. So each double's method is compared with the SDK method it stands in
for: its positional parameters are the SDK's, in order; each keyword it takes, the SDK takes; a
default it has, the SDK has too, with the same value. The double may take less than the SDK.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest
import wandb
from wandb.apis.public import Api, Run
from wandb.apis.public.files import File
from wandb.sdk.artifacts.artifact import Artifact
from wb_testing import api_doubles as d

P = inspect.Parameter
POSITIONAL = (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)

# (double's method, the SDK's method it stands in for)
PAIRS = [
    (d.SweepServerDouble.sweep, wandb.sweep),
    (d.SweepServerDouble.agent, wandb.agent),
    (d.ArtifactDouble.link, Artifact.link),
    (d.RunDouble.logged_artifacts, Run.logged_artifacts),
    (d.RunDouble.update, Run.update),
    (d.ApiDouble.run, Api.run),
    (d.ApiDouble.sweep, Api.sweep),
    (d.RegistryVersionDouble.save, Artifact.save),
    (d.RegistryApiDouble.artifacts, Api.artifacts),
    (d.RegistryApiDouble.registry, Api.registry),
    (d.RegistryApiDouble.artifact, Api.artifact),
    (d.RegistryApiDouble.webhook_integrations, Api.webhook_integrations),
    (d.RegistryApiDouble.artifact_collection, Api.artifact_collection),
    (d.RegistryApiDouble.automations, Api.automations),
    (d.RegistryApiDouble.create_automation, Api.create_automation),
    (d.RunFileDouble.download, File.download),
    (d.ProducerRunDouble.used_artifacts, Run.used_artifacts),
    (d.ProducerRunDouble.files, Run.files),
    (d.VersionDouble.download, Artifact.download),
    (d.VersionDouble.logged_by, Artifact.logged_by),
    (d.VersionApiDouble.artifact, Api.artifact),
    (d.VersionApiDouble.artifacts, Api.artifacts),
]


def calls_the_sdk_refuses(double: Callable, real: Callable) -> list[str]:
    """What the double accepts that `real` does not: an empty list when every call fits both."""
    ours = [p for p in inspect.signature(double).parameters.values() if p.name != "self"]
    theirs = {p.name: p for p in inspect.signature(real).parameters.values() if p.name != "self"}
    found = []
    our_positional = [p.name for p in ours if p.kind in POSITIONAL]
    their_positional = [p.name for p in theirs.values() if p.kind in POSITIONAL]
    if our_positional != their_positional[: len(our_positional)]:
        found.append(f"positional {our_positional}, the SDK's {their_positional}")
    kinds = {p.kind for p in theirs.values()}
    for p in ours:
        sdk = theirs.get(p.name)
        if p.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD):
            if p.kind not in kinds:
                stars = "*" if p.kind == P.VAR_POSITIONAL else "**"
                found.append(f"takes {stars}{p.name}, the SDK does not")
        elif sdk is None or sdk.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD):
            found.append(f"takes {p.name}, the SDK does not")
        elif p.kind != P.POSITIONAL_ONLY and sdk.kind == P.POSITIONAL_ONLY:
            found.append(f"takes {p.name} by keyword, the SDK by position only")
        elif p.default is not P.empty and sdk.default is P.empty:
            found.append(f"{p.name} may be left out, the SDK requires it")
        elif p.default is not P.empty and p.default != sdk.default:
            found.append(f"{p.name} defaults to {p.default!r}, the SDK's to {sdk.default!r}")
    return found


@pytest.mark.parametrize(("double", "real"), PAIRS, ids=[p[0].__qualname__ for p in PAIRS])
def test_each_double_takes_only_calls_the_sdk_takes(double: Callable, real: Callable):
    assert calls_the_sdk_refuses(double, real) == []


def test_the_comparison_finds_each_difference():
    """Not vacuous: each way a double could take more than the SDK is named."""

    def sdk(name, type=None, *, per_page=50): ...

    def same(self, name, type=None, *, per_page=50): ...

    def stricter(self, name): ...

    def other_order(self, type, name): ...

    def extra(self, name, project=None): ...

    def kwargs(self, name, **kwargs): ...

    def optional_name(self, name="x"): ...

    def other_default(self, name, *, per_page=100): ...

    assert calls_the_sdk_refuses(same, sdk) == []
    assert calls_the_sdk_refuses(stricter, sdk) == []
    assert calls_the_sdk_refuses(other_order, sdk) == [
        "positional ['type', 'name'], the SDK's ['name', 'type']"
    ]
    assert calls_the_sdk_refuses(extra, sdk) == [
        "positional ['name', 'project'], the SDK's ['name', 'type']",
        "takes project, the SDK does not",
    ]
    assert calls_the_sdk_refuses(kwargs, sdk) == ["takes **kwargs, the SDK does not"]
    assert calls_the_sdk_refuses(optional_name, sdk) == [
        "name may be left out, the SDK requires it"
    ]
    assert calls_the_sdk_refuses(other_default, sdk) == [
        "per_page defaults to 100, the SDK's to 50"
    ]
