"""A small OpenID Connect provider on 127.0.0.1, for signing in through allauth end to end.

It speaks the authorization-code flow as a real provider does and checks what a real one checks:

    /.well-known/openid-configuration   discovery document
    /authorize   auto-approves: 302 back to redirect_uri with a code and the caller's state
    /token       client id + secret, the code, redirect_uri and PKCE verifier; returns an
                 RS256-signed id_token (pyjwt, a key generated per server) and an access token
    /userinfo    the claims, for a valid bearer access token
    /jwks        the public key

The test sets `provider.identity` (sub, email, email_verified, ...) before each sign-in. Every
request is recorded in `provider.requests` as (method, path).
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class FakeOIDCProvider:
    def __init__(self, *, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.identity: dict = {}
        self.requests: list[tuple[str, str]] = []
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_hex(8)
        self._grants: dict[str, dict] = {}  # code -> what /authorize was asked, and the claims
        self._access_tokens: dict[str, dict] = {}  # access token -> claims
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeOIDCProvider":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- endpoints -------------------------------------------------------------------------
    def discovery(self) -> dict:
        return {
            "issuer": self.base_url,
            "authorization_endpoint": f"{self.base_url}/authorize",
            "token_endpoint": f"{self.base_url}/token",
            "userinfo_endpoint": f"{self.base_url}/userinfo",
            "jwks_uri": f"{self.base_url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self._kid, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def authorize(self, query: dict) -> tuple[int, dict]:
        """(status, headers): a redirect back to the client, or 400 for a bad request."""
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, {}
        if "openid" not in query.get("scope", "").split() or not query.get("redirect_uri"):
            return 400, {}
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = {"query": query, "claims": dict(self.identity)}
        answer = {"code": code, "state": query.get("state", "")}
        return 302, {"Location": f"{query['redirect_uri']}?{urlencode(answer)}"}

    def token(self, form: dict, authorization: str) -> tuple[int, dict]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _colon, client_secret = decoded.partition(":")
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code works once
        if grant is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        asked = grant["query"]
        if form.get("redirect_uri") != asked["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        if not _pkce_matches(asked, form.get("code_verifier")):
            return 400, {"error": "invalid_grant"}
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = grant["claims"]
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self._id_token(grant["claims"], nonce=asked.get("nonce")),
        }

    def userinfo(self, authorization: str) -> tuple[int, dict]:
        claims = self._access_tokens.get(authorization.removeprefix("Bearer "))
        if claims is None:
            return 401, {"error": "invalid_token"}
        return 200, claims

    def _id_token(self, claims: dict, *, nonce: str | None) -> str:
        now = int(time.time())
        payload = {
            **claims,
            "iss": self.base_url,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
        }
        if nonce:
            payload["nonce"] = nonce
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self._kid})


def _pkce_matches(asked: dict, verifier: str | None) -> bool:
    challenge = asked.get("code_challenge")
    if not challenge:
        return verifier is None
    if not verifier or asked.get("code_challenge_method") != "S256":
        return False
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge


def _handler_for(provider: FakeOIDCProvider):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            provider.requests.append(("GET", url.path))
            query = {name: values[0] for name, values in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif url.path == "/jwks":
                self._json(200, provider.jwks())
            elif url.path == "/authorize":
                status, headers = provider.authorize(query)
                self._reply(status, headers, b"")
            elif url.path == "/userinfo":
                self._json(*provider.userinfo(self.headers.get("Authorization", "")))
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self):
            url = urlsplit(self.path)
            provider.requests.append(("POST", url.path))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = {name: values[0] for name, values in parse_qs(body).items()}
            if url.path == "/token":
                self._json(*provider.token(form, self.headers.get("Authorization", "")))
            else:
                self._json(404, {"error": "not_found"})

        def _json(self, status: int, payload: dict) -> None:
            headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
            self._reply(status, headers, json.dumps(payload).encode())

        def _reply(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # quiet: pytest shows failures, not traffic
            return

    return Handler
