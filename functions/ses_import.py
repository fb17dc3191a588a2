"""``sendguard import-ses``: write the SES account's stored templates to files for ``sendguard lint``.

Two layouts (``--layout``):

- ``json`` (default): ``NAME.json`` in the format ``aws ses get-template`` prints
  (``{"Template": {"TemplateName", "SubjectPart", "TextPart", "HtmlPart"}}``); one
  file per template, byte-for-byte what SES stores, and what ``sendguard lint`` and
  ``sendguard check --templates DIR`` read.
- ``files``: ``NAME.html`` and/or ``NAME.txt`` with YAML front matter (``channel``,
  ``subject``, ``ses_template``), for teams that want to edit the parts as files.
  The subject goes in the front matter of the first file only, so it is linted once.

Existing files are not overwritten unless ``--force``; exit 1 when any was kept.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from linters.models import InlineTemplate

EXIT_OK, EXIT_KEPT, EXIT_BAD_INPUT = 0, 1, 2
# SES template names are letters, digits, "_" and "-"; anything else cannot be a file name here.
SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Write the SES account's stored templates to files for `sendguard lint`."
    parser.add_argument(
        "--out", default="templates", metavar="DIR", help="folder to write (default: templates)"
    )
    parser.add_argument(
        "--layout",
        choices=["json", "files"],
        default="json",
        help="json: NAME.json as `aws ses get-template` prints it (default); "
        "files: NAME.html/NAME.txt with YAML front matter",
    )
    parser.add_argument("--prefix", default="", help="only templates whose name starts with this")
    parser.add_argument("--force", action="store_true", help="overwrite files that exist")
    parser.add_argument("--region", help="AWS region (default: the environment's)")
    parser.add_argument("--endpoint-url", help="SES endpoint (for example a local moto server)")


def json_file(name: str, template: InlineTemplate) -> dict[str, str]:
    body = {"TemplateName": name}
    for key, value in (
        ("SubjectPart", template.subject),
        ("TextPart", template.text),
        ("HtmlPart", template.html),
    ):
        if value is not None:
            body[key] = value
    return {f"{name}.json": json.dumps({"Template": body}, indent=2, ensure_ascii=False) + "\n"}


def _with_front_matter(meta: dict[str, Any], body: str) -> str:
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n{body}"


def part_files(name: str, template: InlineTemplate) -> dict[str, str]:
    files: dict[str, str] = {}
    meta: dict[str, Any] = {"channel": "email", "ses_template": name}
    if template.subject is not None:
        meta["subject"] = template.subject
    for suffix, body in (("html", template.html), ("txt", template.text)):
        if not body:  # moto and some SES tooling store a missing part as ""
            continue
        files[f"{name}.{suffix}"] = _with_front_matter(meta, body)
        meta = {k: v for k, v in meta.items() if k != "subject"}
    if not files:  # a subject-only template still needs a file to carry it
        files[f"{name}.txt"] = _with_front_matter(meta, "")
    return files


def write_templates(
    templates: Any, out: Path, layout: str, force: bool, prefix: str = ""
) -> tuple[list[Path], list[Path], list[str]]:
    """Write each (name, template); returns (written, kept because they exist, refused names)."""
    written: list[Path] = []
    kept: list[Path] = []
    refused: list[str] = []
    out.mkdir(parents=True, exist_ok=True)
    render = json_file if layout == "json" else part_files
    for name, template in templates:
        if not name.startswith(prefix):
            continue
        if not SAFE_NAME.match(name):
            refused.append(name)
            continue
        for filename, content in render(name, template).items():
            path = out / filename
            if path.exists() and not force:
                kept.append(path)
                continue
            path.write_text(content, encoding="utf-8")
            written.append(path)
    return written, kept, refused


def run(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from functions.ses_templates import all_templates

    try:
        ses = boto3.client("ses", region_name=args.region, endpoint_url=args.endpoint_url)
        written, kept, refused = write_templates(
            all_templates(ses), Path(args.out), args.layout, args.force, args.prefix
        )
    except (BotoCoreError, ClientError) as exc:
        print(f"sendguard import-ses: cannot read SES templates: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"sendguard import-ses: cannot write to {args.out}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for path in written:
        print(f"wrote {path}")
    for path in kept:
        print(f"kept {path} (exists; --force overwrites)", file=sys.stderr)
    for name in refused:
        print(f"skipped {name!r}: not a safe file name", file=sys.stderr)
    print(f"{len(written)} file(s) written to {args.out}", file=sys.stderr)
    return EXIT_KEPT if kept else EXIT_OK
