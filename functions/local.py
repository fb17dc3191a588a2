"""Run the Lambda handlers on this machine:
``sendguard invoke guard|lint_api|feedback|unsubscribe|contacts|one_click|inbound_sms EVENT.json``.

With no endpoint in the environment, an embedded moto server is started on 127.0.0.1
and the resources of ``template.yaml`` are created on it under the names the template
gives them (stack name ``sendguard``), with the sample customers and contact history.
With ``--endpoint URL`` or ``AWS_ENDPOINT_URL`` set, the handler runs against that
endpoint and the environment must name the resources (see docs/readme/aws.md).

The helpers here (template loading, provisioning, SQS events, draining the outbox)
are shared with ``scripts/demo.py`` and the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
STACK_NAME = "sendguard"
ACCOUNT_ID = "123456789012"  # moto's default account
HANDLERS: dict[str, tuple[str, str]] = {
    # name: (handler "module.function", logical id of the function in template.yaml)
    "guard": ("functions.guard.handler.lambda_handler", "GuardFunction"),
    "lint_api": ("functions.lint_api.handler.handler", "LintApiFunction"),
    "feedback": ("functions.feedback.app.handler", "FeedbackFunction"),
    "unsubscribe": ("functions.feedback.unsubscribe.handler", "UnsubscribeFunction"),
    "contacts": ("functions.contacts.handler.handler", "ContactsFunction"),
    "one_click": ("functions.unsubscribe_link.route.handler", "OneClickUnsubscribeFunction"),
    "inbound_sms": ("functions.feedback.inbound_sms.handler", "InboundSmsFunction"),
}
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "sendguard",
}


# --- template.yaml -------------------------------------------------------------------


class _CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that reads SAM's short intrinsic tags (!Ref, !Sub, !GetAtt ...)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CloudFormationLoader)  # a SafeLoader subclass: no arbitrary objects


@dataclass
class Stack:
    """The resources of template.yaml as created locally: what Ref and GetAtt give."""

    template: dict[str, Any]
    region: str
    name: str = STACK_NAME
    refs: dict[str, str] = field(default_factory=dict)
    arns: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """Evaluate the intrinsics used in template.yaml (Ref, Sub, GetAtt)."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self._ref(value["Ref"])
        if "Fn::Sub" in value:
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._sub_name(m.group(1))), value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            if attribute == "Arn":
                return self.arns[logical]
            return self.attributes[logical][attribute]
        return {k: self.resolve(v) for k, v in value.items()}

    def _pseudo(self, name: str) -> str | None:
        return {
            "AWS::StackName": self.name,
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
        }.get(name)

    def _ref(self, name: str) -> str:
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.refs:
            return self.refs[name]
        parameter = self.template.get("Parameters", {}).get(name)
        if parameter is not None:
            return str(parameter.get("Default", ""))
        raise KeyError(f"template.yaml: Ref to {name!r}, which is not created locally")

    def _sub_name(self, name: str) -> str:
        if "." in name:
            logical, attribute = name.split(".", 1)
            return self.resolve({"Fn::GetAtt": [logical, attribute]})
        return self._ref(name)

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The environment template.yaml gives a function: Globals, then its own."""
        merged: dict[str, Any] = {}
        global_env = self.template.get("Globals", {}).get("Function", {}).get("Environment", {})
        merged.update(global_env.get("Variables", {}))
        function = self.template["Resources"][logical_id]["Properties"]
        merged.update(function.get("Environment", {}).get("Variables", {}))
        return {key: str(self.resolve(value)) for key, value in merged.items()}


def _create_queue(stack: Stack, logical: str, props: dict[str, Any]) -> None:
    sqs = _client("sqs")
    attributes = {}
    for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"):
        if key in props:
            attributes[key] = str(stack.resolve(props[key]))
    if "RedrivePolicy" in props:
        redrive = stack.resolve(props["RedrivePolicy"])
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": redrive["deadLetterTargetArn"],
                "maxReceiveCount": int(redrive["maxReceiveCount"]),
            }
        )
    name = stack.resolve(props["QueueName"])
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    stack.refs[logical] = url
    stack.arns[logical] = f"arn:aws:sqs:{stack.region}:{ACCOUNT_ID}:{name}"
    stack.attributes[logical] = {"QueueName": name, "QueueUrl": url}


def _create_table(stack: Stack, logical: str, props: dict[str, Any]) -> None:
    dynamodb = _client("dynamodb")
    name = stack.resolve(props["TableName"])
    dynamodb.create_table(
        TableName=name,
        KeySchema=props["KeySchema"],
        AttributeDefinitions=props["AttributeDefinitions"],
        BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
    )
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    stack.refs[logical] = name
    stack.arns[logical] = f"arn:aws:dynamodb:{stack.region}:{ACCOUNT_ID}:table/{name}"


def _create_topic(stack: Stack, logical: str, props: dict[str, Any]) -> None:
    arn = _client("sns").create_topic(Name=stack.resolve(props["TopicName"]))["TopicArn"]
    stack.refs[logical] = stack.arns[logical] = arn


def _create_parameter(stack: Stack, logical: str, props: dict[str, Any]) -> None:
    name = stack.resolve(props["Name"])
    _client("ssm").put_parameter(
        Name=name, Type=props.get("Type", "String"), Value=stack.resolve(props["Value"]), Overwrite=True
    )
    stack.refs[logical] = name


def _create_configuration_set(stack: Stack, logical: str, props: dict[str, Any]) -> None:
    name = stack.resolve(props["Name"])
    _client("sesv2").create_configuration_set(ConfigurationSetName=name)
    stack.refs[logical] = name


def _create_event_destination(stack: Stack, logical: str, props: dict[str, Any]) -> None:
    """The SNS destination of the configuration set (moto records it; it publishes nothing)."""
    destination = stack.resolve(props["EventDestination"])
    _client("ses").create_configuration_set_event_destination(
        ConfigurationSetName=stack.resolve(props["ConfigurationSetName"]),
        EventDestination={
            "Name": destination["Name"],
            "Enabled": bool(destination.get("Enabled", True)),
            "MatchingEventTypes": destination["MatchingEventTypes"],
            "SNSDestination": {"TopicARN": destination["SnsDestination"]["TopicARN"]},
        },
    )


_CREATORS: dict[str, Callable[[Stack, str, dict[str, Any]], None]] = {
    "AWS::SQS::Queue": _create_queue,
    "AWS::DynamoDB::Table": _create_table,
    "AWS::SNS::Topic": _create_topic,
    "AWS::SSM::Parameter": _create_parameter,
    "AWS::SES::ConfigurationSet": _create_configuration_set,
    "AWS::SES::ConfigurationSetEventDestination": _create_event_destination,
}
# Created after everything else: they refer to other resources (a DLQ, a topic).
_CREATED_LAST = ("AWS::SES::ConfigurationSetEventDestination",)


def _client(service: str) -> Any:
    from functions import aws

    return aws.client(service)


def provision(template: dict[str, Any] | None = None, region: str | None = None) -> Stack:
    """Create the template's queues, tables, topics, parameters and the SES configuration
    set (not functions: they run in this process; not the HTTP API: ``invoke lint_api``
    passes the API Gateway event straight to the handler). Resources that refer to others
    (a queue's redrive policy, the configuration set's destination) come last."""
    template = template or load_template()
    stack = Stack(template, region or os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    resources = template["Resources"]
    ordered = sorted(
        resources.items(),
        key=lambda item: "RedrivePolicy" in item[1].get("Properties", {}) or item[1]["Type"] in _CREATED_LAST,
    )
    for logical, resource in ordered:
        creator = _CREATORS.get(resource["Type"])
        if creator:
            creator(stack, logical, resource.get("Properties", {}))
    return stack


# --- seeding -------------------------------------------------------------------------


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip() and not line.lstrip().startswith("//")]


def seed(customers_file: Path | None, history_file: Path | None) -> tuple[int, int]:
    """Sample customers into the customers table and contact history into the ledger.

    A history line is ``{"to": ..., "contact": {Contact}}`` or ``{"to": ..., "event": {Event}}``.
    """
    from functions import aws, ledger
    from linters.models import Contact, Customer, Event

    customers = rows = 0
    if customers_file and customers_file.is_file():
        table = aws.table(aws.CUSTOMERS_TABLE)
        for record in read_json_lines(customers_file):
            ledger.put_customer(table, Customer.model_validate(record))
            customers += 1
    if history_file and history_file.is_file():
        table = aws.table(aws.LEDGER_TABLE)
        for line in read_json_lines(history_file):
            if "contact" in line:
                ledger.put_contact(table, line["to"], Contact.model_validate(line["contact"]))
            else:
                ledger.put_event(table, line["to"], Event.model_validate(line["event"]))
            rows += 1
    return customers, rows


def seed_stack(stack: Stack, customers_file: Path | None, history_file: Path | None) -> tuple[int, int]:
    """``seed`` into the stack's tables, whichever function's environment is set later
    (the feedback function, for one, has no customers table)."""
    from functions import aws

    names = {aws.CUSTOMERS_TABLE: stack.refs["CustomersTable"], aws.LEDGER_TABLE: stack.refs["LedgerTable"]}
    with aws.environment(names):
        return seed(customers_file, history_file)


def verify_senders(addresses: list[str]) -> list[str]:
    """Verify the sender domains in SES (moto verifies at once); returns the domains."""
    ses = _client("ses")
    domains = sorted({a.rsplit("@", 1)[1].lower() for a in addresses if a and "@" in a})
    for domain in domains:
        ses.verify_domain_identity(Domain=domain)
    return domains


# --- events and running --------------------------------------------------------------


@dataclass
class LocalContext:
    """The parts of the Lambda context object Powertools reads."""

    function_name: str = "sendguard-guard"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:sendguard-guard"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str = "us-east-1") -> dict[str, Any]:
    """The Lambda event SQS would deliver for these received messages."""
    records = []
    for message in messages:
        attributes = {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in (message.get("MessageAttributes") or {}).items()
        }
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": attributes,
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def handler_for(name: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    module_name, function = HANDLERS[name][0].rsplit(".", 1)
    return getattr(importlib.import_module(module_name), function)


def drain(
    queue_url: str, queue_arn: str, handler: Callable[..., dict[str, Any]], rounds: int = 20
) -> list[dict]:
    """Play the SQS event source mapping: receive, invoke, delete what succeeded.

    Failed records stay on the queue; they are made visible again at once so that
    ``rounds`` passes show redrive to the DLQ without waiting for the visibility
    timeout. Returns the handler responses.
    """
    sqs = _client("sqs")
    responses = []
    for _ in range(rounds):
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not received:
            break
        response = handler(sqs_event(received, queue_arn), LocalContext())
        responses.append(response)
        settle(queue_url, received, {f["itemIdentifier"] for f in response.get("batchItemFailures", [])})
    return responses


def settle(queue_url: str, received: list[dict], failed: set[str]) -> None:
    """As the event source mapping does after an invocation: delete what succeeded, and
    make the failed messages visible again at once (no visibility timeout to wait for)."""
    sqs = _client("sqs")
    for message in received:
        if message["MessageId"] in failed:
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        else:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


@contextlib.contextmanager
def embedded_moto() -> Iterator[str]:
    """A moto server on 127.0.0.1 (a free port) for the duration; yields its URL.

    Sets fake credentials and ``AWS_ENDPOINT_URL`` so every boto3 client uses it, and
    restores the environment afterwards."""
    from moto.server import ThreadedMotoServer

    # The server's per-request access log would drown the handler's own output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    saved = dict(os.environ)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        os.environ.update(LOCAL_ENVIRONMENT)
        os.environ["AWS_ENDPOINT_URL"] = url
        _reset_clients()
        yield url
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        _reset_clients()


def _reset_clients() -> None:
    from functions import aws

    aws.reset()
    guard = sys.modules.get("functions.guard.app")
    if guard is not None:
        guard.reset()


def requests_in_event(event: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for record in event.get("Records", []):
        with contextlib.suppress(json.JSONDecodeError, TypeError):
            body = json.loads(record.get("body", ""))
            if isinstance(body, dict):
                found.append(body)
    return found


# --- the command ---------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run a Lambda handler on an event file. With no endpoint, an embedded moto server "
        "is started and template.yaml's resources are created on it."
    )
    parser.add_argument("function", choices=sorted(HANDLERS), help="which function to run")
    parser.add_argument(
        "event",
        metavar="EVENT.json",
        help="the Lambda event: events/sqs-batch.json (guard), events/api-check.json or "
        "events/api-lint.json (lint_api), events/ses-complaint.json or events/ses-bounce.json "
        "(feedback), events/unsubscribe.json (unsubscribe)",
    )
    parser.add_argument(
        "--endpoint", metavar="URL", help="AWS endpoint (default: $AWS_ENDPOINT_URL, else embedded moto)"
    )
    parser.add_argument(
        "--customers",
        default=str(ROOT / "events/customers.jsonl"),
        help="customers to load into embedded moto",
    )
    parser.add_argument(
        "--history", default=str(ROOT / "events/history.jsonl"), help="contact history for embedded moto"
    )


def _invoke(name: str, event: dict[str, Any]) -> dict[str, Any]:
    context = LocalContext(
        function_name=f"sendguard-{name}",
        invoked_function_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:sendguard-{name}",
    )
    response = handler_for(name)(event, context)
    print(json.dumps(response, indent=2, default=str))
    return response


def failed(response: dict[str, Any]) -> bool:
    """Whether a handler's answer reports a failure, in each function's own terms."""
    if response.get("batchItemFailures") or response.get("errors"):  # guard, feedback, unsubscribe
        return True
    return int(response.get("statusCode", 200)) >= 400  # lint_api


def run(args: argparse.Namespace) -> int:
    try:
        event = json.loads(Path(args.event).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"sendguard invoke: {args.event}: cannot read the event ({exc})", file=sys.stderr)
        return EXIT_BAD_INPUT
    endpoint = args.endpoint or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        from functions.aws import MissingSetting

        try:
            response = _invoke(args.function, event)
        except MissingSetting as exc:
            print(f"sendguard invoke: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        return EXIT_FAILED if failed(response) else EXIT_OK
    with embedded_moto():
        stack = provision()
        seed_stack(stack, Path(args.customers), Path(args.history))
        os.environ.update(stack.function_environment(HANDLERS[args.function][1]))
        verify_senders([r.get("from", "") for r in requests_in_event(event)])
        response = _invoke(args.function, event)
        _print_sent()
    return EXIT_FAILED if failed(response) else EXIT_OK


def sent_email() -> list[Any]:
    """What SES received (moto's SES backend; SESv2 sends land there too)."""
    from moto.ses.models import ses_backends

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    return list(ses_backends[ACCOUNT_ID][region].sent_messages)


def sent_sms() -> list[tuple[str, str]]:
    from moto.sns.models import sns_backends

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    return list(sns_backends[ACCOUNT_ID][region].sms_messages.values())


def _print_sent() -> None:
    for message in sent_email():
        to = ", ".join(message.destinations.get("ToAddresses", []))
        print(f"SES sent to {to}: {message.subject!r}")
    for phone, text in sent_sms():
        print(f"SNS SMS to {phone}: {text!r}")
