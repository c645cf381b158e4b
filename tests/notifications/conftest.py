import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.fakes.providers import FakeProviders

TWILIO_TOKEN = "fake-auth-token-0123456789abcdef"


@pytest.fixture
def sendgrid_key():
    """An ECDSA key pair like SendGrid's event-webhook signing key."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(public).decode()


@pytest.fixture
def providers(settings, sendgrid_key):
    """Real Twilio and SendGrid clients pointed at a fake server on 127.0.0.1."""
    with FakeProviders() as fake:
        settings.SMS_ENABLED = settings.SENDGRID_ENABLED = True
        settings.TWILIO_ACCOUNT_SID = "ACfake"
        settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
        settings.TWILIO_MESSAGING_SERVICE_SID = "MGplatform"
        settings.TWILIO_API_BASE_URL = fake.url
        settings.SENDGRID_API_KEY = "SG.fake"
        settings.SENDGRID_API_BASE_URL = fake.url
        settings.SENDGRID_WEBHOOK_PUBLIC_KEY = sendgrid_key[1]
        settings.PUBLIC_BASE_URL = "https://engage.example.org"
        settings.MAILERS = {
            "default": {"BACKEND": "notifications.email_backend.EngageEmailBackend"}
        }
        yield fake


def sign_sendgrid(private_key, payload: str, timestamp: str) -> str:
    signature = private_key.sign((timestamp + payload).encode(), ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()
