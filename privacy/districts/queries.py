"""Reads for a district's own data pages: its deletion requests and its contract's status.

Only district-wide privacy admins read these; `access_*` raise Http404 for another district's id.
"""

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from privacy.classification import Category
from privacy.districts.readonly import has_contract_ended, is_access_over
from privacy.districts.requests import DELETION_KINDS
from privacy.models import PrivacyRequest
from tenants.models import District
from tenants.scope import Scope

LIST_LIMIT = 50


def list_deletion_requests_for_scope(scope: Scope) -> list[PrivacyRequest]:
    """The district's school and district deletion requests, newest first (LIST_LIMIT)."""
    requests = (
        PrivacyRequest.objects.filter(district_id=scope.district.id, kind__in=DELETION_KINDS)
        .select_related("school", "requester")
        .order_by("-created_at", "-id")
    )
    return list(requests[:LIST_LIMIT])


def _deletion_requests(scope: Scope) -> QuerySet[PrivacyRequest]:
    return PrivacyRequest.objects.filter(district_id=scope.district.id, kind__in=DELETION_KINDS)


def access_deletion_request(scope: Scope, request_id: int, *, for_write: bool = False):
    """One deletion request of the scope's district (Http404 otherwise)."""
    requests = _deletion_requests(scope).select_related("school", "requester")
    if for_write:
        requests = requests.select_for_update()
    return get_object_or_404(requests, id=request_id)


def access_deletion_certificate(scope: Scope, request_id: int) -> PrivacyRequest:
    """A carried-out deletion request of the scope's district (Http404 otherwise)."""
    requests = _deletion_requests(scope).filter(status=PrivacyRequest.Status.DONE)
    return get_object_or_404(requests.exclude(certificate={}), id=request_id)


@dataclass(frozen=True)
class ContractStatus:
    phase: str  # "active", "ending" (an end recorded ahead), "read_only", "closed"
    ended_at: datetime.datetime | None
    access_ends_at: datetime.datetime | None
    disposal_due_at: datetime.datetime | None
    reason: str


def get_contract_status(district: District) -> ContractStatus:
    """Where the district stands with its contract (no query: the scope's District row)."""
    now = timezone.now()
    if district.contract_ended_at is None:
        phase = "active"
    elif not has_contract_ended(district, now):
        phase = "ending"
    elif not is_access_over(district, now):
        phase = "read_only"
    else:
        phase = "closed"
    return ContractStatus(
        phase,
        district.contract_ended_at,
        district.access_ends_at,
        district.disposal_due_at,
        district.get_termination_reason_display() if district.termination_reason else "",
    )


@dataclass(frozen=True)
class CertificateRow:
    name: str
    count: int


def certificate_tables(certificate: dict) -> list[CertificateRow]:
    """The certificate's counts by table, named as people read them ("children")."""
    rows = []
    for label, count in certificate.get("counts", {}).items():
        try:
            name = str(apps.get_model(label)._meta.verbose_name_plural)
        except (LookupError, ValueError):
            name = label.replace("_", " ")
        rows.append(CertificateRow(name, count))
    return rows


def certificate_dates(certificate: dict) -> dict[str, datetime.datetime]:
    """The certificate's moments (kept as ISO text in its JSON) as datetimes."""
    return {
        key: datetime.datetime.fromisoformat(value)
        for key, value in certificate.items()
        if key.endswith(("_at", "_by")) and isinstance(value, str)
    }


def certificate_categories(certificate: dict) -> list[CertificateRow]:
    """Records deleted by category of personal data."""
    return [
        CertificateRow(str(Category(category).label), count)
        for category, count in certificate.get("category_counts", {}).items()
        if category in Category.values
    ]
