"""The import report: counts per entity, located errors, warnings, rows skipped on purpose,
contacts changed by families."""

from dataclasses import dataclass, field

COUNT_KEYS = (
    "schools",
    "classrooms",
    "teachers",
    "children",
    "guardians",
    "guardian_links",
    "enrollments",
)
OUTCOMES = ("created", "updated", "unchanged", "deactivated")
MAX_LISTED = 1000  # problems beyond this are counted, not listed, so a broken file stays small


class RosterRejected(Exception):
    """The input cannot be read at all (not a ZIP, too big, no manifest); already reported."""


def _zero_counts() -> dict[str, dict[str, int]]:
    return {outcome: dict.fromkeys(COUNT_KEYS, 0) for outcome in OUTCOMES}


@dataclass
class Report:
    counts: dict[str, dict[str, int]] = field(default_factory=_zero_counts)
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    warnings: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    skipped_count: int = 0
    changed_by_families: list[dict] = field(default_factory=list)
    is_dry_run: bool = False
    is_applied: bool = False
    district_slug: str = ""

    def count(self, outcome: str, key: str, number: int = 1) -> None:
        self.counts[outcome][key] += number

    def error(self, file: str, line: int | None, column: str, value: str, reason: str) -> None:
        """A problem that stops the import (unless only valid rows are applied)."""
        self.error_count += 1
        if len(self.errors) < MAX_LISTED:
            self.errors.append(_problem(file, line, column, value, reason))

    def warning(self, file: str, line: int | None, column: str, value: str, reason: str) -> None:
        """A problem in one cell that was left out; the row itself is imported."""
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(_problem(file, line, column, value, reason))

    def skip(self, file: str, line: int | None, column: str, value: str, reason: str) -> None:
        """A row left out on purpose (an erased family's): not an error, the import goes on."""
        self.skipped_count += 1
        if len(self.skipped) < MAX_LISTED:
            self.skipped.append(_problem(file, line, column, value, reason))

    @property
    def is_failed(self) -> bool:
        return self.error_count > 0

    def as_dict(self, *, max_listed: int | None = None) -> dict:
        """The report as JSON; `max_listed` caps each list (the run row keeps at most that)."""
        return {
            **self.counts,
            "errors": self.errors[:max_listed],
            "error_count": self.error_count,
            "warnings": self.warnings[:max_listed],
            "skipped": self.skipped[:max_listed],
            "skipped_count": self.skipped_count,
            "changed_by_families": self.changed_by_families[:max_listed],
            "dry_run": self.is_dry_run,
            "applied": self.is_applied,
        }

    @classmethod
    def from_dict(cls, data: dict, district_slug: str = "") -> "Report":
        """A report as_dict() made (the one a finished run stored)."""
        return cls(
            counts={outcome: dict(data[outcome]) for outcome in OUTCOMES},
            errors=list(data["errors"]),
            error_count=data["error_count"],
            warnings=list(data["warnings"]),
            # runs recorded before rows were ever skipped have neither
            skipped=list(data.get("skipped", [])),
            skipped_count=data.get("skipped_count", 0),
            changed_by_families=list(data["changed_by_families"]),
            is_dry_run=data["dry_run"],
            is_applied=data["applied"],
            district_slug=district_slug,
        )


def _problem(file, line, column, value, reason) -> dict:
    return {"file": file, "line": line, "column": column, "value": value, "reason": reason}
