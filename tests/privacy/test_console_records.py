"""The privacy console's records: retention runs and deletion certificates, the data inventory
(generated from the classification) and the subprocessors (S5)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from privacy.archive import purge_archive
from privacy.audit import Actor
from privacy.classification import Category, our_models
from privacy.erasure import do_erase_family
from privacy.inventory import build_inventory, list_subprocessors
from privacy.jobs import JOBS, Job, Plan, run_job
from privacy.lifecycle import do_delete_with_restore
from privacy.models import Archive, PrivacyRequest
from privacy.policy import resolve
from privacy.requests import do_create_request
from tests.counts import SESSION_QUERIES

MONDAY = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)
SYSTEM = Actor.system()


def _failing_job() -> Job:
    def run(district, now, progress=None):
        raise RuntimeError("disk full")

    return Job("archive_purge", "R1", "Deleted items", lambda d, n: Plan(0, None, {}), run)


def _runs(world):
    with time_machine.travel(MONDAY, tick=False):
        run_job(JOBS["logs"], world.lakeside)
        run_job(JOBS["erasure"], world.hillcrest)
    with time_machine.travel(MONDAY + datetime.timedelta(days=1), tick=False):
        run_job(_failing_job(), world.lakeside)
        run_job(JOBS["removed_children"], world.lakeside, is_dry_run=True, trigger="command")


def _purged_noah(world) -> Archive:
    with time_machine.travel(MONDAY, tick=False):
        archive = do_delete_with_restore(
            world.noah,
            kind=Archive.Kind.CHILD,
            district_id=world.lakeside.id,
            school_id=world.a1.id,
            actor=Actor(user=world.priya),
            reason="left the school",
        )
    with time_machine.travel(MONDAY + datetime.timedelta(days=31), tick=False):
        purge_archive(archive)
    archive.refresh_from_db()
    return archive


def _erased_ben(world) -> PrivacyRequest:
    with time_machine.travel(MONDAY, tick=False):
        request = do_create_request(
            world.lakeside, kind=PrivacyRequest.Kind.ERASURE, requester=world.ben, actor=SYSTEM
        )
        do_erase_family(request, actor=SYSTEM)
    request.refresh_from_db()
    return request


# --- retention runs ----------------------------------------------------------------------------


def test_run_history_lists_the_districts_runs_newest_first(world, client, login):
    _runs(world)
    login(world.priya)
    response = client.get(reverse("privacy:console_history"))
    assert [
        (r.job, r.outcome, r.is_dry_run, r.error, r.counts, r.description)
        for r in response.context["runs"]
    ] == [
        (
            "removed_children",
            "succeeded",
            True,
            "",
            {"due": 0},
            "Children removed by the school and by every guardian",
        ),
        (
            "archive_purge",
            "failed",
            False,
            "RuntimeError: disk full",
            {},
            "Deleted accounts, children and work, for good after the restore window",
        ),
        (
            "logs",
            "succeeded",
            False,
            "",
            {
                "audit_events": 0,
                "activity_events": 0,
                "message_bodies": 0,
                "deliveries": 0,
                "messages": 0,
            },
            "Security, activity and message logs",
        ),
    ]
    page = response.content.decode()
    assert "RuntimeError: disk full" in page and "Dry run" in page


def test_run_history_query_count_is_fixed(world, client, login, assert_num_queries):
    """The runs' count and rows, the certificates of requests and of archives."""
    run_job(JOBS["logs"], world.lakeside)
    login(world.dana)
    url = reverse("privacy:console_history")
    client.get(url)
    with assert_num_queries(SESSION_QUERIES + 4):
        client.get(url)
    _runs(world)
    _purged_noah(world)
    _erased_ben(world)
    with assert_num_queries(SESSION_QUERIES + 4):
        response = client.get(url)
    assert (
        len(response.context["runs"]),
        len(response.context["request_certificates"]),
        len(response.context["archive_certificates"]),
    ) == (4, 1, 1)


# --- certificates ------------------------------------------------------------------------------


def test_certificates_of_requests_and_of_deleted_items(world, client, login):
    archive = _purged_noah(world)
    erasure = _erased_ben(world)
    login(world.dana)
    response = client.get(reverse("privacy:console_history"))
    assert [r.id for r in response.context["request_certificates"]] == [erasure.id]
    assert [a.id for a in response.context["archive_certificates"]] == [archive.id]
    assert "Student record" in response.context["archive_certificates"][0].category_names
    login(world.priya)  # Ben's links went with him: the erasure is the district's to show
    response = client.get(reverse("privacy:console_history"))
    assert [r.id for r in response.context["request_certificates"]] == []
    assert [a.id for a in response.context["archive_certificates"]] == [archive.id]


def test_a_deletion_certificate_holds_counts_and_categories_never_content(world, client, login):
    archive = _purged_noah(world)
    login(world.priya)
    response = client.get(reverse("privacy:console_archive_certificate", args=[archive.id]))
    assert response.status_code == 200
    assert response.context["counts"] == [("Child", 1), ("Enrollment", 1), ("Guardian link", 1)]
    assert response.context["categories"] == [
        "Contact details",
        "Identity",
        "Sensitive",
        "Student record",
        "Usage and activity",
    ]
    page = response.content.decode()
    for name in ("Noah", "Brooks", "P-NOAH", "Ben"):
        assert name not in page
    assert "Deleted for good" in page and "left the school" in page
    assert "@media print" in page


def test_an_erasure_certificate_lists_what_went_and_what_stayed(world, client, login):
    erasure = _erased_ben(world)
    login(world.dana)
    response = client.get(reverse("privacy:console_request_certificate", args=[erasure.id]))
    counts = dict(response.context["counts"])
    assert (counts["Children"], counts["Guardian links"], counts["Accounts"]) == (1, 1, 1)
    assert response.context["categories"] == [
        "Identity",
        "Contact details",
        "Student record",
        "Content shared by families and staff",
        "Sign-in credentials",
    ]
    assert response.context["kept"] == [
        "usage counts (submissions, points, deliveries: without content or address)"
    ]


def test_certificates_of_another_tenant_or_not_yet_done_are_404(world, client, login):
    archive = _purged_noah(world)
    erasure = _erased_ben(world)
    with time_machine.travel(MONDAY, tick=False):
        open_request = do_create_request(
            world.lakeside, kind=PrivacyRequest.Kind.ERASURE, requester=world.ana, actor=SYSTEM
        )
    login(world.dana)
    assert (
        client.get(
            reverse("privacy:console_request_certificate", args=[open_request.id])
        ).status_code
        == 404
    )
    for person in ("hank", "quinn"):
        login(world.people[person])
        for url in (
            reverse("privacy:console_archive_certificate", args=[archive.id]),
            reverse("privacy:console_request_certificate", args=[erasure.id]),
        ):
            assert client.get(url).status_code == 404, (person, url)


# --- the data inventory ------------------------------------------------------------------------


def _inventory(world, policy=None):
    return {c.code: c for c in build_inventory(world.lakeside, policy or resolve({}))}


def _fields(category, name) -> list[str]:
    return next((h.fields for h in category.holdings if h.name == name), [])


def test_the_inventory_is_generated_from_the_classification(world):
    inventory = _inventory(world)
    assert [c.label for c in inventory.values()] == [
        "Identity",
        "Contact details",
        "Student record",
        "Sensitive",
        "Content shared by families and staff",
        "Usage and activity",
        "Preferences",
        "Sign-in credentials",
        "Security and audit",
    ]
    assert _fields(inventory["identity"], "Child") == ["first name", "last name", "preferred name"]
    assert _fields(inventory["contact"], "User") == [
        "email",
        "phone",
        "phone verified",
        "email verified",
    ]
    assert _fields(inventory["credential"], "User") == ["password"]
    # Every personal field of every model is somewhere in it (birth dates aside: see below).
    listed = {
        (holding.name, field)
        for category in inventory.values()
        for holding in category.holdings
        for field in holding.fields
    }
    for model in our_models():
        for name, category in model.data_classification.items():
            if category == Category.NONE or "birth_date" in name or name.endswith("_hash"):
                continue
            field = str(model._meta.get_field(name).verbose_name)
            assert (str(model._meta.verbose_name).capitalize(), field) in listed, (model, name)


def test_date_of_birth_only_when_the_district_imports_it(world):
    assert "birth date" not in _fields(_inventory(world)["sensitive"], "Child")
    world.lakeside.is_roster_birth_date_imported = True
    assert "birth date" in _fields(_inventory(world)["sensitive"], "Child")
    assert "child birth date" in _fields(_inventory(world)["sensitive"], "Join request")


def test_the_local_outbox_is_listed_only_while_a_provider_is_off(world, settings):
    assert _fields(_inventory(world)["contact"], "Outbox entry") == ["to", "headers"]
    settings.SMS_ENABLED = settings.SENDGRID_ENABLED = True
    assert _fields(_inventory(world)["contact"], "Outbox entry") == []


def test_each_category_says_the_windows_in_force(world, client, login):
    inventory = _inventory(world, resolve({"removed_child_days": 60}, {"erasure_days": 10}))
    assert [(r.label, r.value, r.promise) for r in inventory["student_record"].retention] == [
        ("A child removed by the school and by every guardian is deleted after", "60 days", "R4"),
        ("A request to be forgotten is carried out within", "10 days", "R5"),
        ("Deleted accounts, children and work can be restored for", "30 days", "R1"),
    ]
    assert [(r.value, r.promise) for r in inventory["security"].retention] == [("12 months", "R10")]


def test_the_inventory_page_is_printable_and_uses_the_schools_policy(world, client, login):
    from privacy.actions_settings import do_update_policy_settings

    do_update_policy_settings(
        world.lakeside, school=world.a1, values={"security_log_months": 6}, actor=SYSTEM
    )
    login(world.priya)
    response = client.get(reverse("privacy:console_inventory"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Schedule of data: Lakeside Unified" in page
    assert "@media print" in page and f'nonce="{response.context["csp_nonce"]}"' in page
    security = next(c for c in response.context["categories"] if c.code == "security")
    assert [r.value for r in security.retention] == ["6 months"]
    login(world.dana)
    response = client.get(reverse("privacy:console_inventory"))
    security = next(c for c in response.context["categories"] if c.code == "security")
    assert [r.value for r in security.retention] == ["12 months"]


def test_inventory_page_query_count(world, client, login, assert_num_queries):
    """The district's policy, nothing per model or category."""
    login(world.dana)
    client.get(reverse("privacy:console_inventory"))
    with assert_num_queries(SESSION_QUERIES + 1):
        client.get(reverse("privacy:console_inventory"))


# --- subprocessors (S5) ------------------------------------------------------------------------


def _listed():
    return [(p.name, p.service, p.receives) for p in list_subprocessors()]


def test_S5_subprocessors_follow_configured_providers(world, client, login, settings):
    assert _listed() == [
        (
            "The hosting provider Engage runs on",
            "Hosting: the servers, database and cache Engage runs on",
            "Everything Engage stores, encrypted in transit and sensitive fields at rest",
        )
    ]
    settings.ENGAGE_HOSTING_PROVIDER = "Example Cloud (EU)"
    settings.SMS_ENABLED = True
    settings.SENDGRID_ENABLED = True
    settings.AWS_STORAGE_BUCKET_NAME = "engage-media"
    settings.SENTRY_DSN = "https://key@sentry.example/1"
    assert [(name, receives) for name, _service, receives in _listed()] == [
        (
            "Example Cloud (EU)",
            "Everything Engage stores, encrypted in transit and sensitive fields at rest",
        ),
        ("Twilio", "Mobile numbers and the text of messages"),
        ("SendGrid (Twilio)", "Email addresses and the text of messages"),
        (
            "Amazon Web Services (S3)",
            "Stored files: photos families send and teachers' attachments",
        ),
        ("Sentry", "Error reports without personal data (no names, addresses or messages)"),
    ]
    settings.SMS_ENABLED = False
    settings.SENTRY_DSN = ""
    assert [name for name, *_rest in _listed()] == [
        "Example Cloud (EU)",
        "SendGrid (Twilio)",
        "Amazon Web Services (S3)",
    ]
    login(world.priya)
    page = client.get(reverse("privacy:console_subprocessors")).content.decode()
    assert "SendGrid (Twilio)" in page and "Twilio</td>" not in page


@pytest.mark.parametrize("name", ["privacy:console_subprocessors", "privacy:console_inventory"])
def test_district_configuration_pages_for_both_admins(world, client, login, name):
    for person in ("dana", "priya", "hank"):
        login(world.people[person])
        assert client.get(reverse(name)).status_code == 200
