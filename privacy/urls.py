"""Privacy pages (/privacy/): the public policy, a family's own privacy page, the district's
privacy console and the incident register."""

from django.urls import path

from privacy.views import console, console_records, family, public
from privacy.views import districts as district_views
from privacy.views import incidents as incident_views
from privacy.views import versions as version_views

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
    # The district's policy versions and the incidents it was told of; the platform operators'
    # incident register (privacy/views/versions.py, privacy/views/incidents.py).
    path("district/policy/", version_views.version_list, name="district_versions"),
    path("district/policy/new/", version_views.version_new, name="district_version_new"),
    path(
        "district/policy/<int:version_id>/",
        version_views.version_detail,
        name="district_version",
    ),
    path("district/incidents/", incident_views.district_incidents, name="district_incidents"),
    path(
        "district/incidents/<int:incident_id>/",
        incident_views.district_incident,
        name="district_incident",
    ),
    path("incidents/", incident_views.register, name="incident_register"),
    path("incidents/new/", incident_views.incident_new, name="incident_new"),
    path("incidents/<int:incident_id>/", incident_views.incident_detail, name="incident_detail"),
    path("incidents/<int:incident_id>/edit/", incident_views.incident_edit, name="incident_edit"),
    path(
        "incidents/<int:incident_id>/authority/",
        incident_views.record_authority,
        name="incident_authority",
    ),
    path(
        "incidents/<int:incident_id>/districts/<int:district_id>/notice/",
        incident_views.notice,
        name="incident_notice",
    ),
    path(
        "incidents/<int:incident_id>/districts/<int:district_id>/notice.txt",
        incident_views.notice_text,
        name="incident_notice_text",
    ),
    path(
        "incidents/<int:incident_id>/districts/<int:district_id>/send/",
        incident_views.send_notice,
        name="incident_send_notice",
    ),
    path(
        "incidents/<int:incident_id>/districts/<int:district_id>/sent/",
        incident_views.record_notice,
        name="incident_record_notice",
    ),
    path(
        "incidents/<int:incident_id>/districts/<int:district_id>/contact/",
        incident_views.set_contact,
        name="incident_contact",
    ),
    # A district's own data: deletion requests and the contract's end (privacy/views/districts.py).
    path("district/", district_views.deletion_requests, name="district_data"),
    path(
        "district/requests/<int:privacy_request_id>/withdraw/",
        district_views.withdraw,
        name="district_withdraw",
    ),
    path(
        "district/requests/<int:privacy_request_id>/certificate/",
        district_views.certificate,
        name="district_certificate",
    ),
    path("district/contract/", district_views.contract, name="district_contract"),
]
