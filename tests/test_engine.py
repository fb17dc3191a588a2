"""The engine as a whole: decisions, stable output, caching, lookups, HTML offsets."""

from __future__ import annotations

import pytest

from linters import nlp
from linters.engine import check
from linters.findings import Action, Decision, Finding, decide
from linters.models import InlineTemplate, RequestError, parse_request
from linters.policy import policy_from_mapping
from tests.conftest import judge, make_request, rules_of

# A marketing email's footer: the sender's postal address and a visible opt-out (CAN-SPAM,
# SG702), so the messages below are judged only on what each test is about.
FOOTER = (
    "\n\nNorthwind Outfitters, 12 Harbour Street, Portland, OR 97201\n"
    "Unsubscribe: https://northwind.example/unsubscribe"
)
HTML_FOOTER = (
    "<p>Northwind Outfitters, 12 Harbour Street, Portland, OR 97201<br>"
    '<a href="https://northwind.example/unsubscribe">Unsubscribe</a></p>'
)


def finding(action: Action) -> Finding:
    return Finding("SG999", "x", action, "m", None, 0, 0, "")


@pytest.mark.parametrize(
    ("actions", "decision"),
    [
        ([], Decision.ALLOW),
        ([Action.WARN], Decision.ALLOW),
        ([Action.WARN, Action.REWRITE], Decision.REWRITE),
        ([Action.REWRITE, Action.HOLD], Decision.HOLD),
        ([Action.HOLD, Action.BLOCK, Action.REWRITE], Decision.BLOCK),
    ],
)
def test_decision_is_the_strongest_action(actions, decision):
    assert decide([finding(a) for a in actions]) == decision


def test_clean_message_is_allowed_and_sent_as_rendered():
    result = judge(
        {"subject": "Pruning, {{first_name}}", "text": "Hi {{first_name}},\n\nPrune apples in December."},
        data={"first_name": "Inès"},
        customer={"first_name": "Inès", "consent": {"email_marketing": True}},
    )
    assert result.decision == "allow"
    assert result.message == {"subject": "Pruning, Inès", "text": "Hi Inès,\n\nPrune apples in December."}


def test_html_findings_point_into_the_html_source():
    html = "<p>Dear <b>Current Resident</b>,</p><p>URGENT: rates rise <i>Friday</i>.</p>" + HTML_FOOTER
    result = judge({"subject": "Rates", "html": html})
    [finding] = [f for f in result.findings if f.part == "html"]
    assert html[finding.start : finding.end] == "URGENT"


def test_policy_can_turn_a_rule_off_or_change_its_action():
    template = {"text": "Dear Current Resident,\n\nURGENT: rates rise." + FOOTER}
    assert judge(template).decision == "block"
    assert judge(template, policy=policy_from_mapping({"rules": {"SG301": "off"}})).decision == "allow"
    warned = judge(template, policy=policy_from_mapping({"rules": {"SG301": {"action": "warn"}}}))
    assert warned.decision == "allow"
    assert rules_of(warned) == ["SG301"]


def test_findings_are_in_a_stable_order():
    request = make_request({"subject": "URGENT", "text": "Dear Occupant,\n\nAct now. Time-sensitive."})
    first = [f.to_dict() for f in check(parse_request(request)).findings]
    again = [f.to_dict() for f in check(parse_request(request)).findings]
    assert first == again
    located = [f for f in first if f["rule"] == "SG301"]
    assert [f["part"] for f in located] == ["subject", "text", "text"]
    assert [f["start"] for f in located[1:]] == sorted(f["start"] for f in located[1:])


def test_fixed_text_is_analysed_once_per_process():
    template = {"text": "Hi {{first_name}},\n\nOur pruning guide is out: where to cut, and why."}
    judge(template, data={"first_name": "Warmup"})
    before = len(nlp._fixed_cache)
    for name in ("Ana", "Ben", "Chidi", "Dana"):
        judge(template, data={"first_name": name})
    assert len(nlp._fixed_cache) == before


def test_the_pipeline_is_built_once():
    assert nlp.pipeline() is nlp.pipeline()
    assert nlp.pipeline().pipe_names == ["sentencizer", "paragraph_breaks", "sendguard_lemmatizer"]


def test_lemmas_ignore_capitalisation():
    assert [t.lemma_ for t in nlp.pipeline()("Missed customers")] == ["miss", "customer"]


def test_stored_template_and_customer_lookups():
    request = parse_request(make_request({"name": "winter"}, customer_id="c-1", data={"first_name": "Ana"}))
    templates = {"winter": InlineTemplate(subject="Winter", text="Hi {{first_name}}, coats are in.")}.get
    customers = {"c-1": parse_request(make_request(customer={"first_name": "Ana"})).customer}.get
    result = check(request, templates=templates, customers=customers)
    assert result.message["text"] == "Hi Ana, coats are in."


def test_unknown_stored_template_is_an_input_error():
    with pytest.raises(RequestError) as caught:
        check(parse_request(make_request({"name": "nope"})))
    assert caught.value.field == "template.name"


def test_unknown_customer_is_an_input_error():
    with pytest.raises(RequestError) as caught:
        check(parse_request(make_request(customer_id="c-missing")), customers={}.get)
    assert caught.value.field == "customer_id"


def test_template_syntax_error_names_the_part():
    with pytest.raises(RequestError) as caught:
        check(parse_request(make_request({"text": "Hi {{#if vip}}VIP"})))
    assert caught.value.field == "template.text"
    assert "never closed" in caught.value.problem


def test_many_requests_are_analysed_together_with_nlp_pipe(monkeypatch):
    from linters.engine import analyse_together

    texts = [f"Hi {{{{first_name}}}},\n\nIssue {n} of the pruning newsletter is out." for n in range(5)]
    requests = [parse_request(make_request({"text": text}, data={"first_name": "Ana"})) for text in texts]
    piped: list[int] = []
    real_pipe = nlp.pipeline().pipe
    monkeypatch.setattr(
        type(nlp.pipeline()), "pipe", lambda self, docs, **kw: (piped.append(len(docs)), real_pipe(docs))[1]
    )
    analyse_together(requests)
    assert piped == [5]
    cached = len(nlp._fixed_cache)
    for request in requests:
        check(request)
    assert len(nlp._fixed_cache) == cached
