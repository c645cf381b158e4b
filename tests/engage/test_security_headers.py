"""Security headers and cookies: every HTML page, every role, and the production settings.

The page sweep walks the URL resolver (our views, allauth's sign-in and two-factor pages, the
language switch, the API docs and the admin) as a visitor and as a person of each role, and
holds every HTML answer to the Content-Security-Policy with a nonce (every <script> and <style>
carrying it, no inline style or handler the policy would refuse), framing denied and the other
headers. The production settings are read from a fresh process with a production environment
and applied to the same application: HSTS, HTTPS only, cookies Secure, HttpOnly and SameSite.
"""

import json
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.test import override_settings

from tenants.checks import is_our_view, iter_url_patterns
from tenants.middleware import MFA_OK_SESSION_KEY
from tenants.models import Role
from tests.engage.test_settings import BASE_DIR, dummy_production_env
from tests.tenants import test_cross_tenant_sweep as sweep
from tests.world import PASSWORD

# Who walks the pages: a visitor, then a person of each role (two-factor done for admins).
VISITORS = [
    (None, None),
    ("ana", Role.GUARDIAN),
    ("tom", Role.TEACHER),
    ("priya", Role.SCHOOL_ADMIN),
    ("dana", Role.DISTRICT_ADMIN),
]
# Pages of other packages that a person sees (sign-in, two-factor, API docs, admin).
OTHER_PAGES = {
    "account_login",
    "account_logout",
    "account_reauthenticate",
    "account_request_login_code",
    "account_confirm_login_code",
    "account_reset_password",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_authenticate",
    "mfa_view_recovery_codes",
    "api_docs",
    "admin:login",
    "admin:index",
}
# Kwargs that are not ids: the world's district, else a value that names nothing (the page then
# says so, in HTML too).
TEXT_KWARGS = {"district_slug": "lakeside"}
NOT_HTML = {"healthz", "readyz"}  # JSON for load balancers
NONCE = re.compile(r"'nonce-([^']+)'")
# What a page loads by itself (links the person follows are theirs to choose).
LOADED_URL = re.compile(
    r"<(?:script|img|iframe|link|source|video|audio|embed|object|form)\b[^>]*?"
    r"\s(?:src|href|srcset|data|action|poster)=[\"']?((?:https?:)?//[^\"'\s>]+)",
    re.IGNORECASE,
)
# Activity videos play in the providers' privacy-enhanced players once the family presses play
# (activities/video.py; the CSP's frame-src).
VIDEO_PLAYER_HOSTS = {"www.youtube-nocookie.com", "player.vimeo.com"}
# Text that a browser fetches from: templates (HTML and email) and our stylesheets.
TEMPLATE_DIRS = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
ANY_URL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s\"'<>)]*", re.IGNORECASE)


def page_routes(world) -> list[tuple[str, str]]:
    """(route name, URL) of every GET page: ours (ids filled by the cross-tenant sweep's
    factories, so each names a real object) and OTHER_PAGES."""
    found = []
    for _route, pattern, name in iter_url_patterns():
        if name is None or (name.startswith("api_") and name != "api_docs"):
            continue  # the API answers JSON (tests/engage/test_api_schema.py)
        ours = is_our_view(pattern.callback)
        if not ours and name not in OTHER_PAGES:
            continue
        if ours and "GET" not in sweep.route_methods(name, pattern):
            continue
        found.append((name, sweep.route_url(world, name, pattern, TEXT_KWARGS)))
    return found


def sign_in(client, world, person, role):
    client.logout()
    if person is None:
        return
    user = world.people[person]
    client.force_login(user)
    session = client.session
    scope = next(s for s in sweep.list_scopes_for_user(user) if s.role == role)
    session["engage_scope"] = scope.key
    session[MFA_OK_SESSION_KEY] = user.id
    session["engage_consent_ok"] = [scope.district.id] if scope.is_family else []
    session.save()


def header_problems(response) -> list[str]:
    """What is wrong with an answer's security headers (and, for HTML, its inline code)."""
    problems = []
    csp = response.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        if directive not in csp:
            problems.append(f"CSP without {directive}")
    if response.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options {response.get('X-Frame-Options')}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.get("Referrer-Policy") != "same-origin":
        problems.append(f"Referrer-Policy {response.get('Referrer-Policy')}")
    if response.status_code in (301, 302, 303) or not response.content:
        return problems
    html = response.content.decode()
    nonce = NONCE.search(csp)
    if nonce is None:
        return [*problems, "CSP without a nonce"]
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        if f'nonce="{nonce.group(1)}"' not in tag:
            problems.append(f"no nonce: {tag}")
    # The policy refuses inline style attributes and event handlers (no 'unsafe-inline').
    problems += [f"inline: {m}" for m in re.findall(r"<[^>]*\s(?:style|on\w+)=[^>]*>", html)]
    problems += [f"third-party: {url}" for url in LOADED_URL.findall(html) if not _allowed(url)]
    return problems


def _allowed(url: str) -> bool:
    return urlsplit(url).hostname in {"testserver", *VIDEO_PLAYER_HOSTS}


def test_every_html_page_has_the_csp_nonce_and_framing_denied(world, client):
    routes = page_routes(world)
    problems, html_pages, pages = [], set(), set()
    for person, role in VISITORS:
        sign_in(client, world, person, role)
        for name, url in routes:
            response = client.get(url)
            if not response["Content-Type"].startswith("text/html"):
                continue
            pages.add(name)
            if response.status_code == 200:
                html_pages.add(name)
            problems += [
                f"{person} {url} {response.status_code}: {p}" for p in header_problems(response)
            ]
    assert problems == [], "\n".join(problems)
    # Not vacuous: every route answered HTML to someone; nearly all with a page.
    assert {name for name, _url in routes} - pages <= NOT_HTML
    # 93 of the 131 routes when written (files, webhooks and operators' pages are not among them):
    # far fewer would mean the walk lost its sign-in.
    assert len(html_pages) >= 90, sorted(html_pages)


def test_no_template_or_stylesheet_names_a_third_party_origin():
    files = [
        path
        for folder in TEMPLATE_DIRS
        for path in folder.rglob("*")
        if path.suffix in {".html", ".txt", ".xml"}
    ]
    files += list((BASE_DIR / "static" / "css").rglob("*.css"))
    assert len(files) >= 100
    found = {
        f"{path.relative_to(BASE_DIR)}: {url}"
        for path in files
        for url in ANY_URL.findall(path.read_text())
        if not _allowed(url)
    }
    assert found == set()


def test_the_checks_see_a_third_party_origin():
    html = '<img src="https://cdn.example.com/x.png"><iframe src="https://player.vimeo.com/v/1">'
    assert [url for url in LOADED_URL.findall(html) if not _allowed(url)] == [
        "https://cdn.example.com/x.png"
    ]
    assert ANY_URL.findall("@import url(//fonts.example.net/a.css);") == [
        "//fonts.example.net/a.css"
    ]


def test_csp_with_nonce_and_framing_denied(world, client, login):
    login(world.ana)
    response = client.get("/family/")
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert f'nonce="{nonce}"' in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_page_with_an_inline_script_or_style_is_caught(world, client, login):
    """header_problems() sees what the CSP would refuse (the sweep above relies on it)."""
    login(world.ana)
    response = client.get("/family/")
    response.content = response.content.replace(
        b"</main>", b'<script>x()</script><p style="color:red" onclick="y()">!</p></main>'
    )
    assert header_problems(response) == [
        "no nonce: <script>",
        'inline: <p style="color:red" onclick="y()">',
    ]


def test_healthz(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_bench_view_is_off_by_default(db, client):
    assert client.get("/bench/bare/").status_code == 404


# --- production settings ------------------------------------------------------------------

PRODUCTION_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SAMESITE",
    "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CSP",
    "DEBUG",
]


@pytest.fixture(scope="module")
def production_settings() -> dict:
    """The security settings engage.settings.production loads with (read in a fresh process
    with a production environment: importing production settings here would replace ours)."""
    names = json.dumps(PRODUCTION_SETTINGS)
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names}}}, default=list))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "engage.settings.production",
        **dummy_production_env(),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


def test_production_answers_https_only_with_hsts(world, client, production_settings):
    assert production_settings["DEBUG"] is False
    with override_settings(**production_settings):
        plain = client.get("/accounts/login/")
        assert (plain.status_code, plain["Location"]) == (
            301,
            "https://testserver/accounts/login/",
        )
        secure = client.get("/accounts/login/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert header_problems(secure) == []


def test_production_cookies_are_secure_httponly_and_samesite(world, client, production_settings):
    with override_settings(**production_settings):
        page = client.get("/accounts/login/", secure=True)
        csrf = page.cookies["csrftoken"]
        signed_in = client.post(
            "/accounts/login/",
            {"login": world.tom.email, "password": PASSWORD},
            secure=True,
        )
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Lax")
    # The CSRF cookie is read by no script (forms carry the token): HttpOnly too.
    assert (csrf["secure"], csrf["httponly"], csrf["samesite"]) == (True, True, "Lax")


def test_production_language_cookie_is_secure_httponly_and_samesite(
    world, client, production_settings
):
    with override_settings(**production_settings):
        answer = client.post("/i18n/setlang/", {"language": "es", "next": "/"}, secure=True)
    cookie = answer.cookies["django_language"]
    assert cookie.value == "es"
    assert (cookie["secure"], cookie["httponly"], cookie["samesite"]) == (True, True, "Lax")
