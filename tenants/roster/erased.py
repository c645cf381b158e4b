"""Erased families stay erased: their rows are skipped (PROMISES R5; privacy.tombstones).

What: right after parsing, every person whose id an erasure tombstoned leaves the snapshot, with
the teaching, enrollments, staff roles and guardian links that name them. Each row left out is
listed in the report's `skipped`, with the id as the file gives it (it is the school's, and the
school needs it to remove the family from its information system). Not an error: the rest of the
roster imports as usual and the run succeeds. Why before the checks: erasure cleared the ids from
the family's rows, so the planner would create them again as new people, and a link to a person
left out would read as a dangling reference.

Cost: one query for the district's tombstones; none at all when it has none; otherwise one keyed
hash (~5 µs) per person of the file, and per id that only a relation names (delta files).
"""

from privacy.tombstones import get_erased_roster_hashes, hash_roster_id
from tenants.models import District
from tenants.roster.records import Snapshot, Where
from tenants.roster.report import Report

REASON = "erased at the family's request; remove them from your information system"
RELATIONS = (  # snapshot table, where the person's id is in its keys, the noun of that column
    ("teaching", 0, "teacher"),
    ("enrolled", 0, "student"),
    ("staff_roles", 0, "teacher"),
    ("links", 0, "guardian"),
    ("links", 1, "child"),
)


def skip_erased_families(snapshot: Snapshot, report: Report, district: District | None) -> None:
    """Take the rows of tombstoned ids out of `snapshot`, listing them in `report.skipped`."""
    if district is None:
        return  # a new district has erased no one
    hashes = get_erased_roster_hashes(district.id)
    if hashes:
        _Skipper(snapshot, report, district.id, hashes).run()


class _Skipper:
    def __init__(self, snapshot: Snapshot, report: Report, district_id: int, hashes: set[str]):
        self.s, self.report = snapshot, report
        self.district_id, self.hashes = district_id, hashes
        self.erased: set[str] = set()
        self.others: dict[str, bool] = {}  # ids only relations name: hashed once each
        self.listed: set[tuple[str, int]] = set()

    def run(self) -> None:
        self.skip_people()
        self.skip_relations()
        self.report.skipped.sort(key=lambda row: (row["file"], row["line"] or 0))

    def is_tombstoned(self, sourced_id: str) -> bool:
        return hash_roster_id(self.district_id, sourced_id) in self.hashes

    def is_erased(self, sourced_id: str) -> bool:
        """Whether a relation's id is an erased person's (the file's people are known by now)."""
        if sourced_id in self.erased:
            return True
        if sourced_id in self.s.people:
            return False
        found = self.others.get(sourced_id)
        if found is None:
            found = self.others[sourced_id] = self.is_tombstoned(sourced_id)
        return found

    def skip_people(self) -> None:
        s = self.s
        self.erased = {sid for sid in s.people if self.is_tombstoned(sid)}
        for sid in sorted(self.erased):
            person = s.people.pop(sid)
            s.staff_schools.pop(sid, None)
            s.skipped["people"].add(sid)
            self.list_row(person.where, *s.person_cell(sid))

    def skip_relations(self) -> None:
        s = self.s
        for name, position, noun in RELATIONS:
            table = getattr(s, name)
            for key in [key for key in table if self.is_erased(key[position])]:
                entry = table.pop(key)
                line = entry[2] if name == "links" else entry
                sid = key[position]
                self.list_row(s.where(name, line), s.columns.get(noun, ""), self.file_id(sid))

    def file_id(self, sourced_id: str) -> str:
        return self.s.person_cell(sourced_id)[1]

    def list_row(self, where: Where, column: str, value: str) -> None:
        """One entry per row of a file (a person's own row also holds their links, Engage
        children.csv their class)."""
        if (where.file, where.line) in self.listed:
            return
        self.listed.add((where.file, where.line))
        self.report.skip(where.file, where.line, column, value, REASON)
