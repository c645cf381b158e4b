"""The fake Twilio/SendGrid server lives with the providers (the bench uses it too)."""

from notifications.providers.fake_server import FakeProviders, State

__all__ = ["FakeProviders", "State"]
