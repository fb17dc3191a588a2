"""What a cold start imports: no spaCy CLI, no X-Ray SDK with tracing off, no spaCy in
the feedback function. Each case runs in a fresh interpreter (imports are per process);
speed itself is measured by `make bench`, never asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUEST = ROOT / "events" / "requests" / "01-arthur-winback.json"


def modules_after(code: str, **env: str) -> set[str]:
    environment = {k: v for k, v in os.environ.items() if k != "LAMBDA_TASK_ROOT"} | env
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_guard_import_and_a_decision_load_neither_spacy_cli_nor_xray():
    loaded = modules_after(
        "import functions.guard.app\n"
        "from linters.engine import check\nfrom linters.models import parse_request\n"
        f"check(parse_request(open({str(REQUEST)!r}).read()))"
    )
    assert "spacy" in loaded and "functions.guard.app" in loaded
    assert not {m for m in loaded if m.startswith(("spacy.cli", "aws_xray_sdk.core", "typer", "weasel"))}
    assert "spacy_lookups_data" not in loaded


def test_spacy_cli_still_imports_when_asked_for():
    loaded = modules_after("import linters.nlp\nimport spacy.cli\nassert callable(spacy.cli.info)")
    assert "spacy.cli.download" in loaded


def test_feedback_function_loads_no_spacy():
    loaded = modules_after("import functions.feedback.app")
    assert not {m for m in loaded if m.split(".")[0] in {"spacy", "thinc", "numpy", "aws_xray_sdk"}}


def test_tracing_follows_powertools_rules(monkeypatch):
    from functions.tracing import NoTracing, make_tracer, tracing_enabled

    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    assert not tracing_enabled()
    assert isinstance(make_tracer("sendguard-test").provider, NoTracing)
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    assert tracing_enabled()
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    assert not tracing_enabled()
    monkeypatch.delenv("AWS_SAM_LOCAL")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    assert not tracing_enabled()


def test_a_disabled_tracer_still_wraps_handlers():
    from functions.tracing import make_tracer

    tracer = make_tracer("sendguard-test")

    @tracer.capture_method
    def double(x: int) -> int:
        return 2 * x

    assert double(21) == 42


def test_a_decision_compiles_only_the_matchers_its_text_needs():
    """A cold start compiles the Matchers of the anchor groups its first message holds,
    not the whole vocabulary; a later text with other anchors compiles theirs then."""
    loaded = modules_after(
        "from linters import nlp\n"
        "nlp.analyse_fixed('Your parcel left our warehouse this morning.')\n"
        "groups, _ = nlp._matchers((), nlp.MESSAGE_SCOPE)\n"
        "built = sum(g._matcher is not None for g in groups)\n"
        "assert 0 < built < len(groups) // 4, (built, len(groups))\n"
        "hits = nlp.analyse_fixed('Act now: this is your last chance!').hits\n"
        "assert sum(g._matcher is not None for g in groups) > built, hits"
    )
    assert "linters.nlp" in loaded


def test_the_policy_is_read_on_the_shared_ssm_client(monkeypatch):
    """Powertools' default SSM provider builds a boto3 session of its own (botocore's
    data loaded twice at a cold start); the guard and the lint API use ours."""
    from functions import aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws.reset()
    try:
        assert aws.ssm_parameters().client is aws.client("ssm")
        assert aws.ssm_parameters() is aws.ssm_parameters()
    finally:
        aws.reset()


def test_the_merge_tag_patterns_are_compiled_only_when_a_tag_may_be_there():
    loaded = modules_after(
        "from linters import merge_tags\n"
        "from linters.engine import check\nfrom linters.models import parse_request\n"
        "r = parse_request({'id': 'r1', 'to': 'a@example.com', 'from': 'shop@example.com',"
        " 'channel': 'email', 'purpose': 'transactional',"
        " 'template': {'subject': 'Your receipt', 'text': 'Thanks for your order.'}})\n"
        "check(r)\n"
        "assert merge_tags.unrendered.cache_info().currsize == 0\n"
        "assert merge_tags.foreign_tags.cache_info().currsize == 0\n"
        "assert merge_tags.unrendered().search('Hi *|FNAME|*,')"
    )
    assert "linters.merge_tags" in loaded


def test_clients_are_made_without_listing_every_service(monkeypatch):
    """botocore lists its ~400 service folders before loading any model (once per kind
    of data); ``functions.aws.session`` answers "is this a service?" from the one folder."""
    from botocore.loaders import Loader

    from functions import aws

    def listed(self, type_name):
        raise AssertionError(f"listed every {type_name} folder")

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv(aws.CUSTOMERS_TABLE, "customers")
    monkeypatch.setattr(Loader, "list_available_services", listed)
    aws.reset()
    try:
        aws.client("ssm")
        aws.table(aws.CUSTOMERS_TABLE)
        aws.send_client("sesv2")
    finally:
        aws.reset()


def test_service_names_answer_as_botocore_does():
    from botocore.exceptions import UnknownServiceError
    from botocore.loaders import Loader

    from functions import aws

    loader = aws.session()._session.get_component("data_loader")
    assert isinstance(loader, aws.FolderTestLoader)
    for kind in ("service-2", "resources-1", "endpoint-rule-set-1"):
        names = aws.ServiceNames(loader, kind)
        everything = Loader.list_available_services(loader, kind)
        assert list(names) == everything and len(names) == len(everything)
        assert all(name in names for name in everything)
        strays = ("", "nope", "../dynamodb", "dynamodb/2012-08-10", ".", "..", "endpoints.json", 3)
        assert not any(name in names for name in strays)
    assert "ssm" not in aws.ServiceNames(loader, "resources-1")
    # Outside a model's loading, botocore's own list, as before.
    assert aws.session().get_available_services() == Loader.list_available_services(loader, "service-2")
    assert aws.session().get_available_resources() == Loader.list_available_services(loader, "resources-1")
    for unknown in ("no-such-service", "endpoints.json"):
        try:
            aws.session().client(unknown, region_name="us-east-1")
        except UnknownServiceError as exc:
            assert "Valid service names are" in str(exc) and "dynamodb" in str(exc)
        else:
            raise AssertionError(f"{unknown!r} was accepted as a service")


def test_reset_forgets_a_session_made_before_moto():
    """moto hooks botocore at import and each ``mock_aws`` drops boto3's default
    session; ``aws.reset()`` drops ours, so a session made earlier never reaches AWS."""
    loaded = modules_after(
        "import os\n"
        "for name in [n for n in os.environ if n.startswith('AWS_ENDPOINT_URL')]:\n"
        "    del os.environ[name]\n"
        "os.environ.update(AWS_DEFAULT_REGION='us-east-1', AWS_ACCESS_KEY_ID='early', AWS_SECRET_ACCESS_KEY='x')\n"
        "from functions import aws\n"
        "early = aws.session()\n"
        "from moto import mock_aws\n"
        "with mock_aws():\n"
        "    aws.reset()\n"
        "    assert aws.session() is not early\n"
        "    aws.client('sqs').create_queue(QueueName='outbox')\n"
        "    assert aws.client('sqs').list_queues()['QueueUrls']\n"
        "aws.reset()"
    )
    assert "moto" in loaded


def test_the_data_loader_keeps_aws_data_path(monkeypatch, tmp_path):
    import botocore.session

    from functions import aws

    monkeypatch.setenv("AWS_DATA_PATH", f"{tmp_path}{os.pathsep}~/models")
    loader = aws._data_loader(botocore.session.Session())
    assert str(tmp_path) in loader.search_paths
    assert os.path.expanduser("~/models") in loader.search_paths


def test_the_pipeline_tokenizes_as_spacy_blank_en():
    """``linters.nlp.pipeline`` builds ``English()`` rather than ``spacy.blank("en")``
    (no default config to fill and validate): the same tokenizer either way."""
    import spacy

    from linters.nlp import pipeline

    ours, blank = pipeline().tokenizer, spacy.blank("en").tokenizer
    assert ours.rules == blank.rules and ours.faster_heuristics == blank.faster_heuristics
    for name in ("prefix_search", "suffix_search", "infix_finditer", "token_match", "url_match"):
        assert getattr(getattr(ours, name), "__self__", None) == getattr(getattr(blank, name), "__self__", None)
    text = "Hi Ana, don't miss it: 20% off (today only) at https://shop.example/sale. Mr. O'Neil's U.S. order #A-17!"
    assert [t.text for t in ours(text)] == [t.text for t in blank(text)]



def test_the_guard_and_lint_api_import_with_the_collector_paused_then_resume_it():
    """functions.startup: the Lambda entry points import their app with the collector
    off; afterwards it is on again and what the import made is frozen (in a fresh
    interpreter). Importing a guard module from elsewhere (the review tools) is not."""
    script = (
        "import gc, json\n"
        "seen = []\n"
        "import functions.startup as s\n"
        "real = s.collector_paused\n"
        "def spy():\n"
        "    cm = real()\n"
        "    class Spy:\n"
        "        def __enter__(self):\n"
        "            cm.__enter__(); seen.append(gc.isenabled())\n"
        "        def __exit__(self, *exc):\n"
        "            return cm.__exit__(*exc)\n"
        "    return Spy()\n"
        "s.collector_paused = spy\n"
        "import functions.guard.delivery, functions.review.store\n"
        "before = [list(seen), gc.get_freeze_count()]\n"
        "import functions.guard.handler, functions.lint_api.handler\n"
        "print(json.dumps([before, seen, gc.isenabled(), gc.get_freeze_count()]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    before, seen, enabled, frozen = json.loads(done.stdout.splitlines()[-1])
    assert before == [[], 0]  # other code that imports a guard module is left alone
    assert seen == [False, False]  # both entry points
    assert enabled and frozen > 10_000


def test_a_collector_someone_turned_off_stays_off():
    import gc

    from functions.startup import collector_paused

    gc.disable()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled() and gc.get_freeze_count() == frozen
    finally:
        gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.unfreeze()  # this test process keeps collecting everything, as before
