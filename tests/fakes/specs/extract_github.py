"""Regenerate github-requests.json: the request-body schemas FakeGitHub validates against.

Source: npm package `@octokit/openapi` 23.0.2, file `generated/api.github.com.json` (GitHub's own
description, github/rest-api-description). A copy lives in ../shared/specs/github-rest-openapi.json:

    .venv/bin/python tests/fakes/specs/extract_github.py /work/shared/specs/github-rest-openapi.json

OpenAPI 3.0 schemas are turned into plain JSON Schema (`nullable: true` becomes a `"null"` type or an
`anyOf` with null) so that `jsonschema` validates them; descriptions and examples are dropped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SOURCE = "npm @octokit/openapi 23.0.2, generated/api.github.com.json"

# Every operation FakeGitHub serves: (method, path as the spec writes it).
OPERATIONS: list[tuple[str, str]] = [
    ("GET", "/repos/{owner}/{repo}"),
    ("GET", "/repos/{owner}/{repo}/issues"),
    ("POST", "/repos/{owner}/{repo}/issues"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/assignees"),
    ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/assignees"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("GET", "/repos/{owner}/{repo}/issues/comments"),
    ("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"),
    ("GET", "/repos/{owner}/{repo}/labels"),
    ("POST", "/repos/{owner}/{repo}/labels"),
    ("GET", "/repos/{owner}/{repo}/labels/{name}"),
    ("GET", "/repos/{owner}/{repo}/git/ref/{ref}"),
    ("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref}"),
    ("POST", "/repos/{owner}/{repo}/git/refs"),
    ("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("DELETE", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("POST", "/repos/{owner}/{repo}/git/blobs"),
    ("GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}"),
    ("POST", "/repos/{owner}/{repo}/git/trees"),
    ("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}"),
    ("POST", "/repos/{owner}/{repo}/git/commits"),
    ("GET", "/repos/{owner}/{repo}/git/commits/{commit_sha}"),
    ("GET", "/repos/{owner}/{repo}/contents/{path}"),
    ("PUT", "/repos/{owner}/{repo}/contents/{path}"),
    ("DELETE", "/repos/{owner}/{repo}/contents/{path}"),
    ("GET", "/repos/{owner}/{repo}/commits"),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}"),
    ("GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls"),
    ("GET", "/repos/{owner}/{repo}/pulls"),
    ("POST", "/repos/{owner}/{repo}/pulls"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("GET", "/rate_limit"),
]

_DROPPED = {"description", "example", "examples", "externalDocs", "title"}


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def to_json_schema(spec: dict[str, Any], node: Any) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema (draft 2020-12)."""
    node = _resolve(spec, node)
    if isinstance(node, list):
        return [to_json_schema(spec, item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED or key == "nullable" or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(spec, sub) for name, sub in value.items()}
        elif key in {"items", "additionalProperties", "not"} and isinstance(value, dict):
            out[key] = to_json_schema(spec, value)
        elif key in {"oneOf", "anyOf", "allOf"}:
            out[key] = [to_json_schema(spec, sub) for sub in value]
        else:
            out[key] = value
    if node.get("nullable"):
        if "type" in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*kinds, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for method, path in OPERATIONS:
        op = spec["paths"][path][method.lower()]
        entry: dict[str, Any] = {
            "operationId": op["operationId"],
            "documentation_url": op.get("externalDocs", {}).get("url"),
        }
        body = _resolve(spec, op.get("requestBody"))
        if body:
            schema = body["content"]["application/json"]["schema"]
            entry["body_required"] = bool(body.get("required"))
            entry["body"] = to_json_schema(spec, schema)
        operations[f"{method} {path}"] = entry
    return {
        "$comment": (
            f"Request-body schemas of the GitHub REST endpoints FakeGitHub serves, copied from {SOURCE} "
            "(GitHub's own OpenAPI description, github/rest-api-description) by extract_github.py; "
            "OpenAPI 3.0 'nullable' rewritten as JSON Schema null types, descriptions dropped."
        ),
        "source": SOURCE,
        "spec_version": spec["info"]["version"],
        "operations": operations,
    }


def main(argv: list[str]) -> None:
    source = Path(argv[1] if len(argv) > 1 else "/work/shared/specs/github-rest-openapi.json")
    spec = json.loads(source.read_text())
    target = Path(__file__).with_name("github-requests.json")
    target.write_text(json.dumps(extract(spec), indent=1, sort_keys=False) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv)
