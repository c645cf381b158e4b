"""Privacy pages (/privacy/): the public policy, a family's own privacy page, the district's
privacy console and the incident register."""

from django.urls import path

from privacy.views import console, console_records, family, public

app_name = "privacy"

urlpatterns = [
    path("policy/", public.policy, name="policy"),
    # A family's own privacy page (privacy/views/family.py).
    path("me/", family.me, name="me"),
    path("me/download/", family.export, name="export"),
    path("me/choices/", family.consents, name="consents"),
    path("me/correction/", family.correction, name="correction"),
    path("me/restriction/", family.restriction, name="restriction"),
    path("me/close/", family.close, name="close"),
    path("me/forget/", family.forget, name="forget"),
    path("closed/", family.closed, name="closed"),
    # The district's privacy console (privacy/views/console.py, console_records.py).
    path("console/", console.requests_queue, name="console"),
    path(
        "console/requests/<int:privacy_request_id>/",
        console.request_detail,
        name="console_request",
    ),
    path(
        "console/requests/<int:privacy_request_id>/erase/",
        console.request_erase,
        name="console_erase",
    ),
    path("console/settings/", console.policy_settings, name="console_settings"),
    path("console/deleted/", console.deleted_items, name="console_deleted"),
    path("console/deleted/<int:archive_id>/restore/", console.restore, name="console_restore"),
    path("console/history/", console_records.history, name="console_history"),
    path(
        "console/certificates/requests/<int:privacy_request_id>/",
        console_records.request_certificate,
        name="console_request_certificate",
    ),
    path(
        "console/certificates/deleted/<int:archive_id>/",
        console_records.archive_certificate,
        name="console_archive_certificate",
    ),
    path("console/inventory/", console_records.inventory, name="console_inventory"),
    path("console/subprocessors/", console_records.subprocessors, name="console_subprocessors"),
    path("console/audit/", console_records.audit_log, name="console_audit"),
    path("console/audit.csv", console_records.audit_export, name="console_audit_export"),
]
