"""Offline checks of the Terraform module and its example (parsed with python-hcl2): exact provider
pins, every variable described and used, the example passes what the module requires, resources keyed by
ids known at plan; `terraform fmt` finds nothing to change where terraform is installed."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.ops_app import ROOT, Doc


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of names and strings and marks blocks; drop both, recursively."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def _terraform(module: Path) -> tuple[list[Doc], str]:
    files = sorted(module.glob("*.tf"))
    return [_unquote(hcl2.loads(f.read_text())) for f in files], "\n".join(f.read_text() for f in files)


def test_terraform_parses_pins_versions_and_uses_every_variable() -> None:
    pins_seen = []
    modules = [ROOT / "terraform" / "modules" / "svgai", ROOT / "terraform" / "examples" / "basic"]
    declared: dict[Path, dict[str, Doc]] = {}
    for module in modules:
        parsed, text = _terraform(module)
        declared[module] = {name: body for doc in parsed for block in doc.get("variable", [])
                            for name, body in block.items()}
        assert declared[module], module
        for name, body in declared[module].items():
            assert re.search(rf"\bvar\.{name}\b", text), f"{module.name}: variable {name} is unused"
            assert body.get("description"), f"{module.name}: variable {name} has a description"
        pins = {name: spec["version"] for doc in parsed for block in doc.get("terraform", [])
                for req in block.get("required_providers", []) for name, spec in req.items()}
        assert pins and all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in pins.values()), "exact provider pins"
        pins_seen.append(pins)
        assert any("required_version" in block for doc in parsed for block in doc.get("terraform", []))
    assert pins_seen[0] == pins_seen[1], "module and example pin the same providers"
    module_vars = declared[modules[0]]
    parsed, _ = _terraform(modules[1])
    (call,) = [body for doc in parsed for block in doc.get("module", []) for body in block.values()]
    passed = set(call) - {"source"}
    assert passed <= set(module_vars), passed - set(module_vars)
    required = {name for name, body in module_vars.items() if "default" not in body}
    assert required <= passed, f"the example leaves required variables unset: {required - passed}"
    environments = re.findall(r'"(\w+)"', str(declared[modules[1]]["environment"]["validation"]))
    assert {"dev", "prod"} <= set(environments)
    assert all((ROOT / "k8s" / "overlays" / env).is_dir() for env in ("dev", "prod"))


def test_terraform_keys_resources_by_ids_known_at_plan() -> None:
    """for_each keys must be known at plan: the patched overlay reads the ElastiCache endpoint, unknown
    before the first apply, so the resources are keyed by an unpatched rendering of the same overlay."""
    parsed, _ = _terraform(ROOT / "terraform" / "modules" / "svgai")
    overlays = {name: body for doc in parsed for block in doc.get("data", [])
                for name, body in block.get("kustomization_overlay", {}).items()}
    resources = {name: body for doc in parsed for block in doc.get("resource", [])
                 for name, body in block.get("kustomization_resource", {}).items()}
    assert len(resources) == 3
    for name, body in resources.items():
        keyed_by = re.fullmatch(r"\$\{data\.kustomization_overlay\.(\w+)\.ids_prio\[\d\]\}", body["for_each"])
        assert keyed_by, f"{name} iterates an overlay's ids_prio"
        static = overlays[keyed_by[1]]
        assert set(static) == {"resources"}, f"{name}: keyed by an overlay with patches: {set(static)}"
        source = re.fullmatch(r"\$\{data\.kustomization_overlay\.(\w+)\.manifests\[each\.value\]\}",
                              body["manifest"])
        assert source and source[1] != keyed_by[1] and {"patches", "dynamic"} & set(overlays[source[1]])
        assert overlays[source[1]]["resources"] == static["resources"], "the same overlay, patched"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary")
def test_terraform_is_formatted() -> None:
    out = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff", str(ROOT / "terraform")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout
