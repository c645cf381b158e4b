"""Policy windows: platform defaults, district values within bounds, schools only tighten."""

import datetime

import pytest

from privacy.models import PrivacySettings
from privacy.policy import (
    WINDOWS,
    PolicyError,
    add_business_days,
    add_months,
    default_values,
    resolve,
    validate_values,
)
from privacy.queries import get_policy

UTC = datetime.UTC


def test_every_window_of_promises_md_has_its_default():
    assert default_values() == {
        "restore_days": 30,
        "closure_hold_days": 90,
        "inactivity_months": 12,
        "inactivity_notice_days": 30,
        "removed_child_days": 90,
        "erasure_days": 30,
        "access_request_days": 30,
        "deletion_request_business_days": 14,
        "deletion_confirmation_days": 10,
        "termination_access_days": 30,
        "termination_disposal_days": 30,
        "inactive_district_months": 24,
        "security_log_months": 12,
        "message_body_days": 365,
        "message_log_months": 48,
    }
    assert all(w.minimum <= w.default <= w.maximum for w in WINDOWS)


def test_district_values_must_lie_within_the_platform_bounds():
    validate_values({"restore_days": 14, "security_log_months": 6})
    with pytest.raises(PolicyError) as error:
        validate_values(
            {"restore_days": 31, "message_log_months": 24, "nope": 1, "erasure_days": "5"}
        )
    assert error.value.errors == {
        "restore_days": "must be between 7 and 30 days",
        "message_log_months": "must be between 48 and 84 months",
        "nope": "unknown setting",
        "erasure_days": "must be a whole number",
    }


def test_policy_settings_school_may_only_tighten():
    district = resolve({"restore_days": 20}).values
    validate_values({"restore_days": 10, "inactivity_notice_days": 45}, parent=district)
    with pytest.raises(PolicyError) as error:
        validate_values({"restore_days": 25, "inactivity_notice_days": 20}, parent=district)
    assert error.value.errors == {
        "restore_days": "a school may only tighten the district's 20 days",
        "inactivity_notice_days": "a school may only tighten the district's 30 days",
    }


def test_the_effective_value_is_the_tighter_of_district_and_school():
    # A school value the district later tightened past is overtaken, never loosening it.
    policy = resolve({"restore_days": 10, "inactivity_notice_days": 40}, {"restore_days": 20})
    assert policy.restore_days == 10
    assert policy.inactivity_notice_days == 40
    assert resolve({}, {"inactivity_notice_days": 50}).inactivity_notice_days == 50


def test_get_policy_reads_district_and_school_rows(world):
    lake, school = world.lakeside, world.schools["a1"]
    PrivacySettings.objects.create(district=lake, values={"restore_days": 20})
    PrivacySettings.objects.create(district=lake, school=school, values={"restore_days": 7})
    assert get_policy(lake.id).restore_days == 20
    assert get_policy(lake.id, school.id).restore_days == 7
    assert get_policy(lake.id, world.schools["a2"].id).restore_days == 20
    assert get_policy(world.hillcrest.id).restore_days == 30


def test_R7_14_business_days_skip_weekends():
    friday = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert add_business_days(friday, 14) == datetime.datetime(2026, 12, 17, 10, 0, tzinfo=UTC)
    saturday = datetime.datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert add_business_days(saturday, 1) == datetime.datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert add_business_days(datetime.datetime(2026, 12, 17, tzinfo=UTC), -14) == datetime.datetime(
        2026, 11, 27, tzinfo=UTC
    )


def test_months_end_on_the_last_day_of_a_shorter_month():
    assert add_months(datetime.datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime.datetime(
        2026, 2, 28, tzinfo=UTC
    )
    assert add_months(datetime.datetime(2026, 3, 15, tzinfo=UTC), 12) == datetime.datetime(
        2027, 3, 15, tzinfo=UTC
    )
    assert add_months(datetime.datetime(2026, 3, 15, tzinfo=UTC), -12) == datetime.datetime(
        2025, 3, 15, tzinfo=UTC
    )
