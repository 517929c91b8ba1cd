"""A small `kustomize build` in Python for the offline manifest checks (tests/test_ops.py), and its own
tests: on svgai's overlays it must print what `kubectl kustomize` prints, where kubectl is installed.

Supports what svgai's k8s/ uses: `resources` (files and kustomization directories), `components`
(kind Component: resources and patches applied to everything accumulated so far), `namespace`, `labels`
(pairs added to metadata.labels), `images` (newName/newTag), and `patches`: a JSON 6902 list of
`add`/`replace`/`remove` operations with a `target` (kind/name), or a strategic-merge document (a
`$patch: delete` removes the resource; otherwise maps are merged, lists replaced).
"""

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

Manifest = dict[str, Any]
ROOT = Path(__file__).resolve().parents[1]
OVERLAYS = sorted(p.name for p in (ROOT / "k8s" / "overlays").iterdir() if p.is_dir())


def _pointer(doc: Any, path: str) -> tuple[Any, str]:
    """The parent of a JSON pointer's target and the last token."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
    for part in parts[:-1]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc, parts[-1]


def apply_json_patch(doc: Manifest, operations: list[dict[str, Any]]) -> None:
    """Apply JSON 6902 `add`, `replace` and `remove` operations in place (a missing path is an error)."""
    for op in operations:
        parent, key = _pointer(doc, op["path"])
        index: Any = int(key) if isinstance(parent, list) and key != "-" else key
        if op["op"] == "remove":
            del parent[index]
        elif op["op"] == "replace":
            if isinstance(parent, dict) and key not in parent:
                raise KeyError(f"replace of a missing path {op['path']}")
            parent[index] = op["value"]
        elif op["op"] == "add":
            if isinstance(parent, list):
                if key == "-":
                    parent.append(op["value"])
                else:
                    parent.insert(index, op["value"])
            else:
                parent[key] = op["value"]
        else:
            raise ValueError(f"unsupported patch op {op['op']}")


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        elif value is None:
            base.pop(key, None)
        else:
            base[key] = value


def _same(doc: Manifest, kind: str | None, name: str | None) -> bool:
    return (kind is None or doc["kind"] == kind) and (name is None or doc["metadata"]["name"] == name)


def _apply_patch(docs: list[Manifest], patch: dict[str, Any], where: Path) -> list[Manifest]:
    body = yaml.safe_load(patch["patch"]) if "patch" in patch else yaml.safe_load(
        (where / patch["path"]).read_text())
    target = patch.get("target", {})
    if isinstance(body, list):  # JSON 6902
        hits = [d for d in docs if _same(d, target.get("kind"), target.get("name"))]
        if not hits:
            raise ValueError(f"patch target {target} matches nothing in {where}")
        for doc in hits:
            apply_json_patch(doc, body)
        return docs
    kind, name = target.get("kind", body["kind"]), target.get("name", body["metadata"]["name"])
    hits = [d for d in docs if _same(d, kind, name)]
    if not hits:
        raise ValueError(f"patch of {kind}/{name} matches nothing in {where}")
    if body.get("$patch") == "delete":
        return [d for d in docs if not any(d is h for h in hits)]
    for doc in hits:
        _merge(doc, {k: v for k, v in body.items() if k not in ("apiVersion", "kind")})
    return docs


def _containers(doc: Manifest) -> list[dict[str, Any]]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return [*spec.get("containers", []), *spec.get("initContainers", [])]


def _load(directory: Path, path: str) -> list[Manifest]:
    full = (directory / path).resolve()
    if full.is_dir():
        return build(full)
    return [d for d in yaml.safe_load_all(full.read_text()) if d]


def build(directory: Path) -> list[Manifest]:
    """The manifests `kustomize build directory` would print (for the features above), in file order."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    docs: list[Manifest] = []
    for resource in kustomization.get("resources", []):
        docs += _load(directory, resource)
    docs = copy.deepcopy(docs)
    for component in kustomization.get("components", []):
        where = (directory / component).resolve()
        spec = yaml.safe_load((where / "kustomization.yaml").read_text())
        assert spec["kind"] == "Component", f"{where} is not a kustomize Component"
        for resource in spec.get("resources", []):
            docs += copy.deepcopy(_load(where, resource))
        for patch in spec.get("patches", []):
            docs = _apply_patch(docs, patch, where)
    for patch in kustomization.get("patches", []):
        docs = _apply_patch(docs, patch, directory)
    for image in kustomization.get("images", []):
        for doc in docs:
            for container in _containers(doc):
                name, _, tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"
    for doc in docs:
        if "namespace" in kustomization and doc["kind"] != "Namespace":
            doc["metadata"]["namespace"] = kustomization["namespace"]
        for entry in kustomization.get("labels", []):
            doc["metadata"].setdefault("labels", {}).update(entry["pairs"])
    return docs


def by_id(docs: list[Manifest]) -> dict[tuple[str, str], Manifest]:
    """Manifests keyed by (kind, name)."""
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def test_json_patch_operations() -> None:
    doc: Manifest = {"spec": {"ports": [{"port": 1}], "replicas": 1, "drop": True}}
    apply_json_patch(doc, [{"op": "replace", "path": "/spec/replicas", "value": 3},
                           {"op": "add", "path": "/spec/ports/-", "value": {"port": 2}},
                           {"op": "add", "path": "/spec/ports/0", "value": {"port": 0}},
                           {"op": "remove", "path": "/spec/drop"}])
    assert doc == {"spec": {"ports": [{"port": 0}, {"port": 1}, {"port": 2}], "replicas": 3}}
    with pytest.raises(KeyError):
        apply_json_patch(doc, [{"op": "replace", "path": "/spec/missing", "value": 1}])


def test_strategic_merge_and_delete(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\ndata: {x: '1', y: '2'}\n---\n"
        "kind: ConfigMap\napiVersion: v1\nmetadata: {name: b}\n")
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [a.yaml]\nnamespace: ns\npatches:\n"
        "  - patch: |-\n      kind: ConfigMap\n      apiVersion: v1\n      metadata: {name: a}\n"
        "      data: {y: '3'}\n"
        "  - patch: |-\n      $patch: delete\n      kind: ConfigMap\n      apiVersion: v1\n"
        "      metadata: {name: b}\n")
    docs = build(tmp_path)
    assert [(d["metadata"]["name"], d["metadata"]["namespace"], d["data"]) for d in docs] == [
        ("a", "ns", {"x": "1", "y": "3"})]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) absent")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_python_build_matches_kubectl_kustomize(overlay: str) -> None:
    out = subprocess.run(["kubectl", "kustomize", str(ROOT / "k8s" / "overlays" / overlay)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert by_id(build(ROOT / "k8s" / "overlays" / overlay)) == by_id(list(yaml.safe_load_all(out)))
