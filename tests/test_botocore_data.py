"""functions.botocore_data: with the lean folder on the search path, every client
sendguard makes resolves the same endpoint, region and signing name as with botocore's
own data, in every region of every partition; the lean models are botocore's without
their documentation; the folder is written only where bytecode would be."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.loaders import Loader

from functions import aws, botocore_data


@pytest.fixture(scope="module")
def lean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lean") / "botocore"
    botocore_data.write(folder)
    return folder


def _session(extra: list[str]) -> botocore.session.Session:
    session = botocore.session.Session()
    session.register_component("data_loader", Loader(extra_search_paths=extra))
    return session


def _resolved(session: botocore.session.Session, service: str, region: str, **config: Any) -> tuple[Any, ...]:
    client = session.create_client(
        service,
        region_name=region,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        config=Config(**config),
    )
    signer = client._request_signer
    return client.meta.endpoint_url, client.meta.region_name, signer.signing_name, signer.region_name


def _regions() -> list[str]:
    endpoints = Loader().load_data("endpoints")
    return sorted({region for p in endpoints["partitions"] for region in p["regions"]})


def test_every_client_resolves_as_with_botocores_own_data(lean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    full, trimmed = _session([]), _session([str(lean)])
    compared = 0
    for service in botocore_data.SERVICES:
        for region in _regions():
            assert _resolved(trimmed, service, region) == _resolved(full, service, region), (service, region)
            compared += 1
        for variant in ({"use_fips_endpoint": True}, {"use_dualstack_endpoint": True}):
            for region in ("us-east-1", "us-gov-west-1", "cn-north-1", "eu-west-1"):
                try:
                    expected = _resolved(full, service, region, **variant)
                except botocore.exceptions.BotoCoreError as problem:
                    with pytest.raises(type(problem)):
                        _resolved(trimmed, service, region, **variant)
                    continue
                assert _resolved(trimmed, service, region, **variant) == expected, (service, region, variant)
    assert compared > 250


def test_lean_models_are_botocores_without_documentation(lean: Path) -> None:
    loader = Loader()
    for service in botocore_data.LEAN_MODELS:
        full = loader.load_service_model(service, "service-2")
        [kept] = lean.glob(f"{service}/*/service-2.json")
        ours = json.loads(kept.read_text(encoding="utf-8"))
        assert ours == botocore_data.without_documentation(full)
        assert set(ours["operations"]) == set(full["operations"]) and set(ours["shapes"]) == set(full["shapes"])
        assert "documentation" not in json.dumps(ours["operations"]["GetItem" if service == "dynamodb" else "GetParameter"])
    assert botocore_data.problems(lean) == []


def test_a_model_in_another_protocol_is_not_shippable(tmp_path: Path) -> None:
    folder = tmp_path / "lean"
    botocore_data.write(folder)
    [model_file] = folder.glob("ssm/*/service-2.json")
    model = json.loads(model_file.read_text(encoding="utf-8"))
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor", "json"]
    model_file.write_text(json.dumps(model), encoding="utf-8")
    assert botocore_data.problems(folder) == ["ssm's model speaks ['smithy-rpc-v2-cbor', 'json']"]


def test_the_folder_is_written_only_where_bytecode_would_be(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = tmp_path / "botocore-x"
    monkeypatch.setattr(botocore_data, "SHIPPED", tmp_path / "not-shipped")
    monkeypatch.setattr(botocore_data, "_local_folder", lambda: local)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert botocore_data.folder() is None and not local.exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert botocore_data.folder() == local and (local / "endpoints.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no work folder left behind
    monkeypatch.setattr(botocore_data, "SHIPPED", local)
    assert botocore_data.folder() == local  # an artifact's folder wins


def test_the_loader_reads_the_users_data_path_then_the_lean_folder(
    lean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(botocore_data, "folder", lambda: lean)
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    paths = aws._data_loader(botocore.session.Session()).search_paths
    assert paths.index(str(tmp_path)) < paths.index(str(lean)) < len(paths) - 1


def test_a_client_for_a_service_the_lean_data_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match=r"add it to functions\.botocore_data\.SERVICES"):
        aws.client("kinesis")
    with pytest.raises(ValueError, match="'ec2'"):
        aws.send_client("ec2")


def _sent(session: botocore.session.Session, service: str, operation: str, params: dict[str, Any]) -> tuple:
    """What a client puts on the wire for one call (nothing is sent: the answer is canned)."""
    from botocore.awsrequest import AWSResponse

    client = session.create_client(
        service, region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    seen: list[Any] = []

    def capture(request: Any, **_: Any) -> AWSResponse:
        seen.append(request)
        return AWSResponse(request.url, 200, {}, _Raw(b"{}"))

    client.meta.events.register("before-send", capture)
    getattr(client, operation)(**params)
    [request] = seen
    headers = {k: v for k, v in request.headers.items() if k.lower() in ("x-amz-target", "content-type", "host")}
    scope = request.headers["Authorization"].decode().split("Credential=k/", 1)[1].split(",", 1)[0].split("/", 1)[1]
    return request.url, request.method, headers, request.body, scope


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


CALLS = [
    ("dynamodb", "get_item", {"TableName": "t", "Key": {"id": {"S": "r1"}}, "ConsistentRead": True}),
    ("dynamodb", "put_item", {"TableName": "t", "Item": {"id": {"S": "r1"}}, "ConditionExpression": "attribute_not_exists(id)"}),
    ("dynamodb", "update_item", {"TableName": "t", "Key": {"id": {"S": "r1"}}, "UpdateExpression": "SET a = :a", "ExpressionAttributeValues": {":a": {"N": "1"}}}),
    ("dynamodb", "query", {"TableName": "t", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "x"}}}),
    ("ssm", "get_parameter", {"Name": "/sendguard/policy", "WithDecryption": True}),
    ("ssm", "put_parameter", {"Name": "/sendguard/policy", "Value": "{}", "Type": "String", "Overwrite": True}),
]


@pytest.mark.parametrize(("service", "operation", "params"), CALLS)
def test_a_lean_model_puts_the_same_request_on_the_wire(
    lean: Path, service: str, operation: str, params: dict[str, Any]
) -> None:
    full, trimmed = _session([]), _session([str(lean)])
    assert _sent(trimmed, service, operation, params) == _sent(full, service, operation, params)


def test_the_folder_is_readable_by_every_user(lean: Path) -> None:
    """Lambda runs the function as another user than the one who built the artifact."""
    modes = {p.stat().st_mode & 0o777 for p in [lean, *lean.rglob("*")] if p.is_dir()}
    assert modes == {0o755}
    assert {p.stat().st_mode & 0o777 for p in lean.rglob("*") if p.is_file()} == {0o644}


def test_a_read_only_install_uses_botocores_own_data_and_is_not_tried_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("x")
    monkeypatch.setattr(botocore_data, "SHIPPED", tmp_path / "not-shipped")
    monkeypatch.setattr(botocore_data, "_local_folder", lambda: blocked / "botocore-x")
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert botocore_data.folder() is None
    monkeypatch.setattr(botocore_data, "write", lambda *_: pytest.fail("tried again"))
    assert botocore_data.folder() is None
