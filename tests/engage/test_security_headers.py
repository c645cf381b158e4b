"""Default security headers on HTML pages."""

import re


def test_csp_with_nonce_and_framing_denied(world, client, login):
    login(world.ana)
    response = client.get("/family/")
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert f'nonce="{nonce}"' in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_healthz(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_bench_view_is_off_by_default(db, client):
    assert client.get("/bench/bare/").status_code == 404
