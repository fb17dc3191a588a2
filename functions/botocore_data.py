"""Lean botocore data: what a cold start parses before the guard's first decision, cut down.

Before its first decision the guard makes two clients, DynamoDB (the delivery record)
and SSM (the policy). For the first one botocore parses its endpoint data,
``endpoints.json``: 1.25 MB, every service in every partition. For each it parses the
service model, documentation included: SSM's is 810 KB, for one call (GetParameter).
That was 0.19 G of the 4.05 G instructions the guard took to its first decision once
spaCy's patterns were cached (linters.regex_cache), 5%.

This module writes a folder botocore reads first (``aws._data_loader`` puts it on the
loader's search path, after any AWS_DATA_PATH of the user's):

- ``endpoints.json``: botocore's own, with each partition's ``services`` cut to the
  endpoint prefixes of ``SERVICES``, the services sendguard's functions call
  (``aws.client`` refuses any other, so one cannot be added and forgotten here). The
  partitions' regions and defaults are whole; a service left out would fall back to
  its partition's defaults, as botocore does for a service it has no entry for.
- ``<service>/<version>/service-2.json`` for ``LEAN_MODELS``: botocore's model without
  its ``documentation`` strings, which only docstrings and help read. Every operation
  and shape is kept.

Nothing else changes: the endpoint rule sets, partitions and retry data are botocore's.
``tests/test_botocore_data.py`` checks that a client resolves the same endpoint,
region and signing name with the lean folder as without, for every service, region
and partition.

Where the folder comes from:

- in a Lambda artifact, ``functions/botocore_data/``, which ``scripts/package.py``
  writes from the build's botocore (it checks the protocols and the endpoint format);
- elsewhere (tests, the CLI, ``make bench``), a folder per botocore version kept where
  Python keeps this module's bytecode, written by the first process that needs it, as
  bytecode is (not under PYTHONDONTWRITEBYTECODE; under PYTHONPYCACHEPREFIX if set).

Without either, botocore reads its own data, as before.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import botocore
from botocore.loaders import Loader

# Every service sendguard's functions and tools make clients for (``aws.client``).
SERVICES = ("dynamodb", "lambda", "pinpoint-sms-voice-v2", "s3", "ses", "sesv2", "sns", "sqs", "ssm", "sts")
# The clients the guard makes before its first decision: their models go in lean.
LEAN_MODELS = ("dynamodb", "ssm")
# The protocol each lean model must have: package.py ships no model whose protocol a
# runtime's (older) botocore might not speak.
LEAN_PROTOCOLS = {"dynamodb": "json", "ssm": "json"}
ENDPOINTS_VERSION = 3  # the endpoints.json format botocore has read since 2015
SHIPPED = Path(__file__).resolve().parent / "botocore_data"
_DOC_KEYS = frozenset({"documentation", "documentationUrl"})
# Folders this process could not write to: not tried again (each session asks).
_unwritable: set[Path] = set()


def without_documentation(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_documentation(v) for k, v in value.items() if k not in _DOC_KEYS}
    if isinstance(value, list):
        return [without_documentation(v) for v in value]
    return value


def lean_endpoints(endpoints: dict[str, Any], prefixes: set[str]) -> dict[str, Any]:
    partitions = [
        {**partition, "services": {k: v for k, v in partition["services"].items() if k in prefixes}}
        for partition in endpoints["partitions"]
    ]
    return {**endpoints, "partitions": partitions}


def write(directory: Path, loader: Loader | None = None) -> None:
    """Write the lean folder at ``directory`` (unless one is there) from botocore's own data."""
    # The work folder first: a folder that cannot be written costs no parsing.
    work = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        # Readable by every user: Lambda runs the function as another user than the one
        # who built the artifact (mkdtemp makes folders 0700, files follow the umask).
        work.chmod(0o755)
        loader = loader or Loader()
        models = {service: loader.load_service_model(service, "service-2") for service in SERVICES}
        prefixes = {model["metadata"]["endpointPrefix"] for model in models.values()}
        endpoints = loader.load_data("endpoints")
        (work / "endpoints.json").write_text(json.dumps(lean_endpoints(endpoints, prefixes)), encoding="utf-8")
        for service in LEAN_MODELS:
            model = models[service]
            folder = work / service / model["metadata"]["apiVersion"]
            folder.mkdir(parents=True, mode=0o755)
            (folder / "service-2.json").write_text(json.dumps(without_documentation(model)), encoding="utf-8")
        for path in work.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            os.replace(work, directory)  # whole or not at all, for a process reading it
        except OSError:
            if not directory.is_dir():
                raise  # else another process wrote it first
    finally:
        shutil.rmtree(work, ignore_errors=True)


def problems(directory: Path) -> list[str]:
    """Why a lean folder must not ship to a runtime whose botocore may be older."""
    found = []
    endpoints = json.loads((directory / "endpoints.json").read_text(encoding="utf-8"))
    if endpoints.get("version") != ENDPOINTS_VERSION:
        found.append(f"endpoints.json is format {endpoints.get('version')}, not {ENDPOINTS_VERSION}")
    for service, protocol in LEAN_PROTOCOLS.items():
        for model_file in directory.glob(f"{service}/*/service-2.json"):
            metadata = json.loads(model_file.read_text(encoding="utf-8"))["metadata"]
            if metadata.get("protocol") != protocol or set(metadata.get("protocols", [protocol])) != {protocol}:
                found.append(f"{service}'s model speaks {metadata.get('protocols') or metadata.get('protocol')}")
    return found


def _local_folder() -> Path | None:
    if sys.implementation.cache_tag is None:
        return None
    return Path(importlib.util.cache_from_source(__file__)).parent / f"botocore-{botocore.__version__}"


def folder() -> Path | None:
    """The lean folder to read, written first when this process may (see the module doc)."""
    if SHIPPED.is_dir():
        return SHIPPED
    local = _local_folder()
    if local is None:
        return None
    if local.is_dir():
        return local
    if sys.dont_write_bytecode or local in _unwritable:
        return None
    try:
        local.parent.mkdir(parents=True, exist_ok=True)
        write(local)
    except (OSError, ValueError, KeyError):
        _unwritable.add(local)  # a read-only install: botocore's own data, as before
        return None
    return local
