"""An S3 API server on 127.0.0.1 for tests: moto's own server, in a thread, on a free port.

One thing S3 and MinIO do that moto leaves out is refusing a presigned URL past its expiry
(moto serves it forever); `ExpiringS3Server` adds exactly that check in front of moto, the way
S3 answers it: 403 AccessDenied "Request has expired", judged on this process's clock (tests
travel in time with time_machine). Everything else (privacy of objects, signatures, listing,
deleting) is moto's.
"""

import datetime
import time
from urllib.parse import parse_qs

import boto3
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import MotoRequestHandler
from werkzeug.serving import make_server

from tests.fakes.services import free_port

ACCESS_KEY = "engage-test-access-key"
SECRET_KEY = "engage-test-secret-key"
EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


def refuse_expired(app):
    """WSGI: a SigV4 presigned request past X-Amz-Date + X-Amz-Expires is a 403."""

    def checked(environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if "X-Amz-Expires" in query and "X-Amz-Date" in query:
            signed_at = datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
            expires = signed_at.replace(tzinfo=datetime.UTC).timestamp() + int(
                query["X-Amz-Expires"][0]
            )
            if time.time() > expires:
                start_response("403 Forbidden", [("Content-Type", "application/xml")])
                return [EXPIRED]
        return app(environ, start_response)

    return checked


class ExpiringS3Server(ThreadedMotoServer):
    def __init__(self):
        super().__init__(ip_address="127.0.0.1", port=free_port(), verbose=False)
        self.url = f"http://127.0.0.1:{self._port}"

    def _server_entry(self) -> None:
        app = refuse_expired(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )
