"""The contacts routes over real HTTP on 127.0.0.1, as API Gateway's IAM authorizer serves them.

``ApiServer`` accepts a POST only when it carries a valid SigV4 signature for
``execute-api`` (recomputed with botocore from the signed headers, the way API Gateway
checks it) and the caller's IAM policy allows ``execute-api:Invoke`` on the route's ARN
(evaluated with tests/iam_policy.py over the policy files in policies/); otherwise it
answers 403 like API Gateway. Then it hands the Lambda handler the HTTP API (v2) event
API Gateway would, and answers with what the handler returns. Nothing is faked of our
own code: the client signs, the handler judges and writes (on moto).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.iam_policy import Request, allows

REGION, ACCOUNT, API_ID = "us-east-1", "123456789012", "a1b2c3d4e5"
CONTEXT = SimpleNamespace(
    function_name="sendguard-contacts",
    memory_limit_in_mb=1024,
    invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:sendguard-contacts",
    aws_request_id="6f1d2c4e-0000-4000-8000-00000000c0de",
)
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})"
)


def route_arn(method: str, path: str) -> str:
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/$default/{method}{path}"


class ApiServer:
    """Serve ``handler`` for the callers in ``principals``: access key -> (secret, policies)."""

    def __init__(
        self, handler: Callable[[dict[str, Any], Any], dict[str, Any]], principals: dict[str, tuple[str, list[dict[str, Any]]]]
    ) -> None:
        self.handler, self.principals = handler, principals
        self.seen: list[dict[str, Any]] = []  # the events the handler got
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._request_handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ApiServer:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def authorise(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        """(0, key) for a correctly signed call the caller may make; else (403, why)."""
        found = _AUTHORIZATION.fullmatch(headers.get("authorization", ""))
        if not found or found["service"] != "execute-api" or found["region"] != REGION:
            return 403, "Missing Authentication Token"
        secret, policies = self.principals.get(found["key"], ("", []))
        signed = {name: headers[name] for name in found["signed"].split(";") if name in headers}
        request = AWSRequest(method=method, url=f"{self.url}{path}", data=body, headers=signed)
        request.context["timestamp"] = headers.get("x-amz-date", "")
        token = headers.get("x-amz-security-token")
        auth = SigV4Auth(Credentials(found["key"], secret, token), "execute-api", REGION)
        expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
        if not secret or expected != found["signature"]:
            return 403, "The request signature we calculated does not match the signature you provided."
        if not any(allows(policy, Request.by("", "execute-api:Invoke", route_arn(method, path))) for policy in policies):
            return 403, "User is not authorized to access this resource"
        return 0, found["key"]

    def event(self, method: str, path: str, body: bytes, key: str) -> dict[str, Any]:
        route = f"{method} {path}"
        return {
            "version": "2.0",
            "routeKey": route,
            "rawPath": path,
            "rawQueryString": "",
            "headers": {"content-type": "application/json"},
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": API_ID,
                "authorizer": {"iam": {"accessKey": key, "accountId": ACCOUNT, "userArn": f"arn:aws:iam::{ACCOUNT}:user/{key}"}},
                "domainName": "127.0.0.1",
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                "routeKey": route,
                "stage": "$default",
            },
            "body": body.decode("utf-8"),
            "isBase64Encoded": False,
        }

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                refused, who = outer.authorise("POST", self.path, headers, body)
                if refused:
                    self._answer(refused, {"message": who}, {})
                    return
                event = outer.event("POST", self.path, body, who)
                outer.seen.append(event)
                response = outer.handler(event, CONTEXT)
                self._answer(response["statusCode"], json.loads(response["body"]), response.get("headers") or {})

            def _answer(self, status: int, answer: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(answer).encode("utf-8")
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in headers.items():
                    if name.lower() not in ("content-type", "content-length"):
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler
