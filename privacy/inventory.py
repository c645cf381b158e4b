"""The district's data inventory (the schedule of data of a data agreement) and its
subprocessors (PROMISES S5).

The inventory is built from the personal-data classification (privacy.classification), never
written by hand: every field of every model that holds personal data, grouped by category, in
plain words (the fields' own names), as this district's configuration collects them. Settings
decide a few: a date of birth only when the district imports it from its roster, the local
outbox only while a message provider is off, a keyed hash is listed with the field it is made
from. Each category says which windows of the district's effective policy end it.

The subprocessors follow the configured providers: a vendor appears only when its credentials
switch it on, so the list is what the running platform actually sends data to.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from privacy.classification import Category, our_models
from privacy.policy import WINDOWS_BY_NAME, Policy, Unit
from tenants.models import District

CATEGORY_TEXT = {
    Category.IDENTITY: (
        _("Identity"),
        _("Names of guardians, staff and children, their roles, and who is linked to whom."),
    ),
    Category.CONTACT: (
        _("Contact details"),
        _("Email addresses, mobile numbers and home addresses, and where messages went."),
    ),
    Category.STUDENT_RECORD: (
        _("Student record"),
        _(
            "What the school's roster says about a child (school, classroom, grade, pupil "
            "number) and the school's review of the child's work."
        ),
    ),
    Category.SENSITIVE: (
        _("Sensitive"),
        _("Data that needs extra protection, such as custody restrictions; encrypted at rest."),
    ),
    Category.CONTENT: (
        _("Content shared by families and staff"),
        _("Answers, comments, photos and the text of messages."),
    ),
    Category.USAGE: (
        _("Usage and activity"),
        _("When people joined, signed in and took part, and counts of activities done."),
    ),
    Category.PREFERENCE: (
        _("Preferences"),
        _("Language, notification and consent choices."),
    ),
    Category.CREDENTIAL: (
        _("Sign-in credentials"),
        _("Passwords (stored hashed, never readable), sign-in and joining codes."),
    ),
    Category.SECURITY: (
        _("Security and audit"),
        _("Who did what and when, and from which network address."),
    ),
}

# The policy windows that end the data of each category (privacy.policy.WINDOWS).
CATEGORY_WINDOWS = {
    Category.IDENTITY: ("closure_hold_days", "inactivity_months", "erasure_days", "restore_days"),
    Category.CONTACT: (
        "closure_hold_days",
        "inactivity_months",
        "erasure_days",
        "message_log_months",
    ),
    Category.STUDENT_RECORD: ("removed_child_days", "erasure_days", "restore_days"),
    Category.SENSITIVE: ("removed_child_days", "closure_hold_days", "erasure_days"),
    Category.CONTENT: ("restore_days", "message_body_days", "erasure_days"),
    Category.USAGE: ("security_log_months", "message_log_months"),
    Category.PREFERENCE: ("closure_hold_days", "erasure_days"),
    Category.CREDENTIAL: ("closure_hold_days",),
    Category.SECURITY: ("security_log_months",),
}
# Windows that end everything of the district (the contract's end, an inactive district).
DISTRICT_WINDOWS = (
    "termination_access_days",
    "termination_disposal_days",
    "inactive_district_months",
)

# A field collected only when the district's configuration says so.
FIELD_CONDITIONS: list[tuple[Callable[[str], bool], Callable[[District], bool]]] = [
    (lambda name: "birth_date" in name, lambda district: district.is_roster_birth_date_imported),
]
# A model that holds data only in some run modes.
MODEL_CONDITIONS: dict[str, Callable[[District], bool]] = {
    # The local outbox stands in for a provider that is off (the embedded mode).
    "notifications.OutboxEntry": lambda district: (
        not (settings.SMS_ENABLED and settings.SENDGRID_ENABLED)
    ),
}


@dataclass(frozen=True)
class Holding:
    """One kind of record and the fields of it in a category, in plain words."""

    name: str
    fields: list[str]


@dataclass(frozen=True)
class Retention:
    label: str
    value: str
    promise: str


@dataclass(frozen=True)
class InventoryCategory:
    code: str
    label: str
    description: str
    holdings: list[Holding]
    retention: list[Retention]


def window_text(unit: str, value: int) -> str:
    """ "30 days", "14 business days", "12 months", in the active language."""
    if unit == Unit.MONTHS:
        return ngettext("%(count)s month", "%(count)s months", value) % {"count": value}
    if unit == Unit.BUSINESS_DAYS:
        return ngettext("%(count)s business day", "%(count)s business days", value) % {
            "count": value
        }
    return ngettext("%(count)s day", "%(count)s days", value) % {"count": value}


def retention_rows(names, policy: Policy) -> list[Retention]:
    rows = []
    for name in names:
        window = WINDOWS_BY_NAME[name]
        rows.append(
            Retention(
                str(window.label), window_text(window.unit, policy.values[name]), window.promise
            )
        )
    return rows


def collected_fields(model, district: District) -> dict[str, list[str]]:
    """{category: [field names]} of the personal data `model` holds for this district."""
    if not MODEL_CONDITIONS.get(model._meta.label, lambda district: True)(district):
        return {}
    declared = model.data_classification
    by_category: dict[str, list[str]] = {}
    for name, category in declared.items():
        if category == Category.NONE:
            continue
        if name.endswith("_hash") and name.removesuffix("_hash") in declared:
            continue  # a keyed hash of a field listed already, for matching without decrypting
        if any(applies(name) and not holds(district) for applies, holds in FIELD_CONDITIONS):
            continue
        by_category.setdefault(category, []).append(str(model._meta.get_field(name).verbose_name))
    return by_category


def build_inventory(district: District, policy: Policy) -> list[InventoryCategory]:
    """The categories of personal data the district's Engage holds, each with the kinds of
    record and fields that hold it and the windows that end it (see module)."""
    holdings: dict[str, list[Holding]] = {category: [] for category in CATEGORY_TEXT}
    for model in our_models():
        name = str(model._meta.verbose_name).capitalize()
        for category, fields in collected_fields(model, district).items():
            holdings[category].append(Holding(name, fields))
    return [
        InventoryCategory(
            code=category,
            label=str(label),
            description=str(description),
            holdings=holdings[category],
            retention=retention_rows(CATEGORY_WINDOWS[category], policy),
        )
        for category, (label, description) in CATEGORY_TEXT.items()
        if holdings[category]
    ]


def district_retention(policy: Policy) -> list[Retention]:
    """The windows that end everything the district holds."""
    return retention_rows(DISTRICT_WINDOWS, policy)


# --- subprocessors (S5) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Subprocessor:
    name: str
    service: str
    receives: str


def list_subprocessors() -> list[Subprocessor]:
    """Who processes the district's data for Engage, from the providers configured now."""
    hosting = getattr(settings, "ENGAGE_HOSTING_PROVIDER", "") or str(
        _("The hosting provider Engage runs on")
    )
    processors = [
        Subprocessor(
            hosting,
            str(_("Hosting: the servers, database and cache Engage runs on")),
            str(_("Everything Engage stores, encrypted in transit and sensitive fields at rest")),
        )
    ]
    if settings.SMS_ENABLED:
        processors.append(
            Subprocessor(
                "Twilio",
                str(_("Text messages (SMS)")),
                str(_("Mobile numbers and the text of messages")),
            )
        )
    if settings.SENDGRID_ENABLED:
        processors.append(
            Subprocessor(
                "SendGrid (Twilio)",
                str(_("Email")),
                str(_("Email addresses and the text of messages")),
            )
        )
    if settings.AWS_STORAGE_BUCKET_NAME:
        processors.append(
            Subprocessor(
                "Amazon Web Services (S3)",
                str(_("File storage")),
                str(_("Stored files: photos families send and teachers' attachments")),
            )
        )
    if settings.SENTRY_DSN:
        processors.append(
            Subprocessor(
                "Sentry",
                str(_("Error reports")),
                str(_("Error reports without personal data (no names, addresses or messages)")),
            )
        )
    return processors


def plain_counts(counts: dict[str, int]) -> list[tuple[str, int]]:
    """[(kind of record in plain words, how many), ...] of an archive's or a certificate's
    counts: a model label ("guardians.GuardianLink") reads as its name ("Guardian link"), any
    other key (an erasure's "submissions_emptied") with spaces; by name, so the order never
    depends on the order the deletion collected them in."""
    from django.apps import apps

    rows = []
    for key, count in counts.items():
        try:
            name = str(apps.get_model(key)._meta.verbose_name)
        except (LookupError, ValueError):
            name = key.replace("_", " ")
        rows.append((name[:1].upper() + name[1:], count))
    return sorted(rows)


def category_names(codes: list[str]) -> list[str]:
    """Plain names of categories given by code ("student_record" -> "Student record")."""
    labels = {code: label for code, (label, _description) in CATEGORY_TEXT.items()}
    return [str(labels[code]) if code in labels else code.replace("_", " ") for code in codes]
