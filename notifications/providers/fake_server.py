"""A local fake of the Twilio Messages API and the SendGrid v3 API on 127.0.0.1.

The real `twilio` and `sendgrid` client libraries are pointed at it (TWILIO_API_BASE_URL,
SENDGRID_API_BASE_URL). It records every accepted message, answers the look-ups the engine uses
after a crash, and can be told to fail for an address: `fail(to, status, code, times)`.
It can run in a thread of the test process (`FakeProviders()`), or as its own process
(`python -m notifications.providers.fake_server PORT`) with the record readable over HTTP at /_fake/sent.
"""

import itertools
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.sms: list[dict] = []
        self.email: list[dict] = []
        self.failures: dict[str, list] = {}
        self.delay = 0.0
        self.counter = itertools.count(1)

    def take_failure(self, to: str):
        with self.lock:
            queue = self.failures.get(to)
            if queue:
                status, code, times = queue[0]
                if times <= 1:
                    queue.pop(0)
                else:
                    queue[0] = (status, code, times - 1)
                return status, code
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write (no 40 ms delayed-ACK stall on keep-alive clients).
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    state: State

    def log_message(self, *args):  # keep test output quiet
        pass

    def _json(self, status: int, payload, headers=None):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        body = self._body()
        if self.state.delay:
            time.sleep(self.state.delay)
        if path.startswith("/2010-04-01/Accounts/") and path.endswith("/Messages.json"):
            return self._twilio_create(urllib.parse.parse_qs(body.decode()))
        if path == "/v3/mail/send":
            return self._sendgrid_send(json.loads(body))
        if path == "/_fake/fail":
            data = json.loads(body)
            with self.state.lock:
                self.state.failures.setdefault(data["to"], []).append(
                    (data["status"], data.get("code"), data.get("times", 1))
                )
            return self._json(200, {})
        return self._json(404, {"message": "not found"})

    def do_GET(self):
        parts = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parts.query)
        if parts.path.endswith("/Messages.json"):
            to = query.get("To", [""])[0]
            found = [m for m in self.state.sms if not to or m["to"] == to]
            return self._json(
                200,
                {
                    "messages": found,
                    "meta": {"key": "messages"},
                    "next_page_uri": None,
                    "page": 0,
                    "page_size": 50,
                },
            )
        if parts.path == "/v3/messages":
            wanted = query.get("query", [""])[0]
            found = [
                {"msg_id": m["msg_id"]}
                for m in self.state.email
                if m["reference"] and f'="{m["reference"]}"' in wanted
            ]
            return self._json(200, {"messages": found[:1]})
        if parts.path == "/_fake/count":
            return self._json(200, {"sms": len(self.state.sms), "email": len(self.state.email)})
        if parts.path == "/_fake/sent":
            return self._json(200, {"sms": self.state.sms, "email": self.state.email})
        return self._json(404, {"message": "not found"})

    def _twilio_create(self, form):
        to, text = form.get("To", [""])[0], form.get("Body", [""])[0]
        failure = self.state.take_failure(to)
        if failure:
            status, code = failure
            return self._json(
                status,
                {"code": code, "message": f"fake error {code}", "status": status, "more_info": ""},
            )
        sid = f"SM{next(self.state.counter):032d}"
        message = {
            "sid": sid,
            "to": to,
            "body": text,
            "status": "queued",
            "messaging_service_sid": form.get("MessagingServiceSid", [""])[0],
            "status_callback": form.get("StatusCallback", [""])[0],
            "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
            "date_sent": None,
            "account_sid": "ACfake",
            "direction": "outbound-api",
        }
        with self.state.lock:
            self.state.sms.append(message)
        return self._json(201, message)

    def _sendgrid_send(self, payload):
        personalizations = payload["personalizations"]
        recipients = [p["to"][0]["email"] for p in personalizations]
        for to in recipients:
            failure = self.state.take_failure(to)
            if failure:
                status, _code = failure
                return self._json(status, {"errors": [{"message": f"fake error {status}"}]})
        msg_id = f"sg{next(self.state.counter)}"
        records = []
        for personalization, to in zip(personalizations, recipients, strict=True):
            custom = {**payload.get("custom_args", {}), **personalization.get("custom_args", {})}
            substitutions = personalization.get("substitutions", {})
            content = []
            for part in payload.get("content", []):
                value = part["value"]
                for token, replacement in substitutions.items():
                    value = value.replace(token, replacement)
                content.append({"type": part["type"], "value": value})
            records.append(
                {
                    "msg_id": msg_id,
                    "to": to,
                    "subject": payload.get("subject", ""),
                    "from": payload.get("from", {}),
                    "reply_to": payload.get("reply_to", {}),
                    "content": content,
                    "headers": {**payload.get("headers", {}), **personalization.get("headers", {})},
                    "reference": custom.get("engage_ref", ""),
                }
            )
        with self.state.lock:
            self.state.email.extend(records)
        self.send_response(202)
        self.send_header("X-Message-Id", msg_id)
        self.send_header("Content-Length", "0")
        self.end_headers()


class FakeProviders:
    """The fake in a background thread: `with FakeProviders() as fake: fake.url ...`."""

    def __init__(self, port: int = 0):
        self.state = State()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def sms(self) -> list[dict]:
        return list(self.state.sms)

    @property
    def email(self) -> list[dict]:
        return list(self.state.email)

    def fail(self, to: str, status: int, code: int | None = None, times: int = 1) -> None:
        with self.state.lock:
            self.state.failures.setdefault(to, []).append((status, code, times))


if __name__ == "__main__":
    fake = FakeProviders(int(sys.argv[1]))
    fake.server.serve_forever()
