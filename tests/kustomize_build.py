"""A small kustomize build in Python for the offline manifest checks (no kustomize binary here).

Supports what svgai's k8s/ uses: `resources` (files and kustomization directories), `namespace`,
`labels` (pairs added to metadata.labels), `images` (newName/newTag) and `patches` with a `target`
(kind/name) and a JSON 6902 patch of `replace`/`add`/`remove` operations.
"""

import copy
from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]


def _pointer(doc: Any, path: str) -> tuple[Any, str]:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
    for part in parts[:-1]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc, parts[-1]


def apply_json_patch(doc: Manifest, operations: list[dict[str, Any]]) -> None:
    for op in operations:
        parent, key = _pointer(doc, op["path"])
        index: Any = int(key) if isinstance(parent, list) and key != "-" else key
        if op["op"] == "remove":
            del parent[index]
        elif op["op"] == "replace":
            if isinstance(parent, list):
                parent[index] = op["value"]
            else:
                if key not in parent:
                    raise KeyError(f"replace of a missing path {op['path']}")
                parent[key] = op["value"]
        elif op["op"] == "add":
            if isinstance(parent, list):
                parent.append(op["value"]) if key == "-" else parent.insert(index, op["value"])
            else:
                parent[key] = op["value"]
        else:
            raise ValueError(f"unsupported patch op {op['op']}")


def _matches(doc: Manifest, target: dict[str, Any]) -> bool:
    return all(doc.get(k) == v if k == "kind" else doc["metadata"].get(k) == v
               for k, v in target.items() if k in ("kind", "name"))


def _containers(doc: Manifest) -> list[dict[str, Any]]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return [*spec.get("containers", []), *spec.get("initContainers", [])]


def build(directory: Path) -> list[Manifest]:
    """The manifests `kustomize build directory` would print (for the features above)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    docs: list[Manifest] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        if path.is_dir():
            docs += build(path)
        else:
            docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    docs = copy.deepcopy(docs)
    for patch in kustomization.get("patches", []):
        hits = [d for d in docs if _matches(d, patch["target"])]
        if not hits:
            raise ValueError(f"patch target {patch['target']} matches nothing in {directory}")
        for doc in hits:
            apply_json_patch(doc, yaml.safe_load(patch["patch"]))
    for image in kustomization.get("images", []):
        for doc in docs:
            for container in _containers(doc):
                name, _, _tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image.get('newTag', _tag)}"
    for doc in docs:
        if "namespace" in kustomization and doc["kind"] != "Namespace":
            doc["metadata"]["namespace"] = kustomization["namespace"]
        for entry in kustomization.get("labels", []):
            doc["metadata"].setdefault("labels", {}).update(entry["pairs"])
    return docs
