"""Campaign preflight on AWS: the two Lambda steps of the Step Functions Distributed Map.

``chunk_handler`` receives one batch of recipients from the Map's ItemReader (JSON
Lines or CSV rows from S3, batched by ItemBatcher), judges each with the campaign path
`sendguard preflight` uses (linters/campaign.py), writes the verdicts as JSON Lines to
``s3://<output.bucket>/<output.prefix>/verdicts/<digest>.jsonl`` and returns a small
tally. The object key is a digest of the batch's content, so a retried batch
overwrites its own file instead of adding a second one.

``summary_handler`` runs after the Map: it reads the tallies the Map's ResultWriter
stored in S3 (its manifest lists them) and writes ``<output.prefix>/summary.json``.
A batch that failed after its retries is listed there as not judged, with its error.

The template is read from S3 once per container and version (its ETag); the policy is
the guard's (SSM, read as the guard reads it: ``functions.lookups``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions import aws, lookups
from linters.campaign import Campaign, CampaignTemplate, Verdict, record_from_csv_row
from linters.models import RequestError, aware
from linters.preflight_report import Summary

logger = Logger(service="sendguard-campaign")

STOPPED_PER_CHUNK = 100  # stopped recipients named in a chunk's tally (all are in its verdicts file)
_campaigns: dict[tuple[str, str, str, str], Campaign] = {}


class S3Object(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bucket: str = Field(min_length=3, max_length=63)
    key: str = Field(min_length=1, max_length=1024)


class S3Prefix(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bucket: str = Field(min_length=3, max_length=63)
    prefix: str = Field(min_length=1, max_length=900)


class BatchInput(BaseModel):
    """What the state machine passes every batch (ItemBatcher.BatchInput)."""

    model_config = ConfigDict(extra="forbid")
    template: S3Object
    output: S3Prefix
    now: datetime
    format: Literal["jsonl", "csv"] = "jsonl"


def _template(location: S3Object, etag: str) -> CampaignTemplate:
    from linters.lint.inputs import ses_json_file, template_file

    body = aws.client("s3").get_object(Bucket=location.bucket, Key=location.key, IfMatch=etag)["Body"].read()
    text = body.decode("utf-8")
    path = Path(location.key)
    source = ses_json_file(path, text) if path.suffix.lower() == ".json" else template_file(path, text)
    return CampaignTemplate.from_source(source)


def _campaign(batch: BatchInput) -> Campaign:
    policy = lookups.current_policy()
    # The ETag in the key: a template edited under the same name is read again.
    location = batch.template
    etag = aws.client("s3").head_object(Bucket=location.bucket, Key=location.key)["ETag"]
    key = (location.bucket, location.key, etag, batch.now.isoformat(), str(id(policy)))
    if key not in _campaigns:
        _campaigns.clear()
        _campaigns[key] = Campaign(_template(location, etag), policy, aware(batch.now))
    return _campaigns[key]


def _verdict(campaign: Campaign, position: int, item: Any, kind: str) -> Verdict:
    try:
        record = record_from_csv_row(item) if kind == "csv" and isinstance(item, dict) else item
    except RequestError as exc:
        return Verdict(position, None, None, error=exc.problem, field=exc.field or None)
    try:
        return campaign.judge_record(position, record)
    except Exception as exc:  # one bad record must not fail the batch (and re-run 499 others)
        logger.exception("could not judge a record", extra={"position": position})
        return Verdict(position, None, None, error=f"internal error: {type(exc).__name__}")


def chunk_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        batch = BatchInput.model_validate(event.get("BatchInput") or {})
    except ValidationError as exc:
        raise ValueError(f"BatchInput: {exc.errors(include_url=False)[0]}") from None
    items = event.get("Items")
    if not isinstance(items, list):
        raise ValueError("Items: the Map state passes a list of recipient records")
    campaign = _campaign(batch)
    lines = []
    summary = Summary()
    for position, item in enumerate(items, start=1):
        verdict = _verdict(campaign, position, item, batch.format)
        summary.add(verdict)
        lines.append(json.dumps(verdict.to_dict(), ensure_ascii=False))
    body = ("\n".join(lines) + "\n").encode("utf-8")
    key = f"{batch.output.prefix.rstrip('/')}/verdicts/{hashlib.sha256(body).hexdigest()[:24]}.jsonl"
    aws.client("s3").put_object(
        Bucket=batch.output.bucket, Key=key, Body=body, ContentType="application/x-ndjson"
    )
    tally = summary.to_dict()
    tally["stopped"] = tally["stopped"][:STOPPED_PER_CHUNK]
    logger.info(
        "judged a batch", extra={"recipients": len(items), "key": key, "decisions": tally["decisions"]}
    )
    return {
        "verdicts": key,
        **{k: tally[k] for k in ("recipients", "decisions", "rules", "examples", "stopped", "errors")},
    }


# --- the summary step -------------------------------------------------------------------


def _read_json(bucket: str, key: str) -> Any:
    return json.loads(aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def _merge(total: dict[str, Any], tally: dict[str, Any]) -> None:
    total["recipients"] += tally.get("recipients", 0)
    for field in ("decisions", "rules"):
        for name, count in tally.get(field, {}).items():
            total[field][name] = total[field].get(name, 0) + count
    for rule, examples in tally.get("examples", {}).items():
        kept = total["examples"].setdefault(rule, [])
        kept.extend(examples[: max(0, 3 - len(kept))])
    total["stopped"].extend(tally.get("stopped", [])[: max(0, 1000 - len(total["stopped"]))])
    total["errors"].extend(tally.get("errors", [])[: max(0, 50 - len(total["errors"]))])
    total["verdict_files"] += 1


def summary_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Sum the chunk tallies listed in the ResultWriter manifest; write summary.json."""
    details = event.get("ResultWriterDetails") or {}
    output = S3Prefix.model_validate(event.get("output") or {})
    manifest = _read_json(details["Bucket"], details["Key"])
    total: dict[str, Any] = {
        "recipients": 0,
        "decisions": {},
        "rules": {},
        "examples": {},
        "stopped": [],
        "errors": [],
        "verdict_files": 0,
        "failed_batches": [],
    }
    files = manifest.get("ResultFiles", {})
    for entry in files.get("SUCCEEDED", []):
        for execution in _read_json(manifest.get("DestinationBucket", details["Bucket"]), entry["Key"]):
            _merge(total, json.loads(execution.get("Output") or "{}"))
    for status in ("FAILED", "PENDING"):
        for entry in files.get(status, []):
            for execution in _read_json(manifest.get("DestinationBucket", details["Bucket"]), entry["Key"]):
                total["failed_batches"].append(
                    {
                        "status": status,
                        "error": execution.get("Error"),
                        "cause": (execution.get("Cause") or "")[:500],
                    }
                )
    total["rules"] = dict(sorted(total["rules"].items(), key=lambda kv: -kv[1]))
    key = f"{output.prefix.rstrip('/')}/summary.json"
    aws.client("s3").put_object(
        Bucket=output.bucket,
        Key=key,
        Body=json.dumps(total, indent=2).encode(),
        ContentType="application/json",
    )
    brief = {k: total[k] for k in ("recipients", "decisions")}
    return {"summary": f"s3://{output.bucket}/{key}", **brief, "failed_batches": len(total["failed_batches"])}
