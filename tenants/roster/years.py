"""School years in the roster plan: which year is current, and which classrooms are history.

Year-end rollover (docs/ROSTER_FORMAT.md): the school years a roster lists are the ones it
describes. A rostered classroom of another year, or of a year that started before the current one
(a past year), is history: a bulk file that no longer lists it does not deactivate it, its
enrollments stay (last year's classes stay readable for reports), and its teachers' memberships
end once its year is past. A class listed again next year with the same id is a new classroom of
that year (plan.Planner.plan_classrooms), so last year's keeps last year's children.
"""

import datetime

from django.utils import timezone

from tenants.models import SchoolYear
from tenants.roster.rows import CREATE_COLUMNS


def today() -> datetime.date:
    return timezone.localdate()


class YearPlanning:
    """The year steps of plan.Planner (which sets years, year_starts, current_year, ...)."""

    def plan_years(self) -> None:
        for record in self.s.years.values():
            row = self.ex.years.get(record.sourced_id) or self.ex.years.get(f"name:{record.name}")
            if self.school_id is not None:
                self.years[record.sourced_id] = row[0]  # restrict.py refused years not there
                continue
            values = {
                "sourced_id": record.sourced_id,
                "name": record.name,
                "start_date": record.start_date,
                "end_date": record.end_date,
            }
            if row is None:
                ref = self.plan.add(
                    SchoolYear,
                    tuple(values[c] for c in CREATE_COLUMNS[SchoolYear]),
                    is_referenced=True,
                )
                self.year_starts[ref] = record.start_date
            else:
                self.ex.years.pop(f"name:{record.name}", None)
                old = dict(zip(values, row[1:5], strict=True))
                changed = {n: v for n, v in values.items() if v != old[n]}
                if changed:
                    self.plan.updated(SchoolYear, row[0], changed)
                ref = row[0]
                self.year_starts[ref] = record.start_date
            self.years[record.sourced_id] = ref
        if self.s.years and self.school_id is None:
            self.choose_current_year()
        if any(not c.year_sourced_id for c in self.s.classrooms.values()):
            self.years[""] = self.default_year()
        self.mark_history_years()

    def choose_current_year(self) -> None:
        """The year current after this import: the one (the file's or the district's) whose
        dates hold today, the latest to start when two do; else, between years, the file's
        next year to start (a rollover imported in summer takes effect at once); else the
        file's newest year."""
        now = today()
        listed = [
            (r.start_date, r.end_date, self.years[r.sourced_id]) for r in self.s.years.values()
        ]
        listed_ids = {ref for _start, _end, ref in listed}
        others = [
            (row[3], row[4], row[0]) for row in self.ex.years.values() if row[0] not in listed_ids
        ]
        holding = [year for year in listed + others if year[0] <= now <= year[1]]
        upcoming = [year for year in listed if year[0] > now]
        if holding:
            chosen = max(holding, key=lambda year: year[0])[2]
        elif upcoming:
            chosen = min(upcoming, key=lambda year: year[0])[2]
        else:
            chosen = max(listed, key=lambda year: year[0])[2]
        if chosen != self.current_year:
            self.plan.current_year = chosen
        self.current_year = chosen

    def default_year(self):
        """Engage CSV names no year: the district's year that holds today, else its next one to
        start; when every year has ended, the year after the last one (a rollover), or one for
        today when there is none. The year chosen becomes current."""
        now = today()
        rows = sorted(self.ex.years.values(), key=lambda row: row[3])
        holding = [row for row in rows if row[3] <= now <= row[4]]
        upcoming = [row for row in rows if row[3] > now]
        if not holding and not upcoming:
            return self.new_year_after(rows[-1] if rows else None, now)
        chosen = (holding[-1] if holding else upcoming[0])[0]
        if self.school_id is None and chosen != self.current_year:
            self.plan.current_year = self.current_year = chosen
        return chosen

    def new_year_after(self, last, now: datetime.date):
        """A new school year for the Engage format: from the day after `last` ended, for a
        year; or August to July around today when the district has none."""
        if last is not None:
            start = last[4] + datetime.timedelta(days=1)
        else:
            start = datetime.date(now.year if now.month >= 8 else now.year - 1, 8, 1)
        end = start.replace(year=start.year + 1) - datetime.timedelta(days=1)
        name = f"{start.year}-{start.year + 1}"
        if self.school_id is not None:
            self.report.error("", None, "", name, "a new school year is added by a district import")
            return None
        if name in {row[2] for row in self.ex.years.values()}:
            name = f"{start.isoformat()} - {end.isoformat()}"
        ref = self.plan.add(SchoolYear, ("", name, start, end), is_referenced=True)
        self.year_starts[ref] = start
        self.plan.current_year = self.current_year = ref
        return ref

    def mark_history_years(self) -> None:
        """Past years (they started before the current one) and history years (past, or not
        described by the file): see the module docstring."""
        current_start = self.year_starts.get(self.current_year)
        if current_start is not None:
            self.past_years = {
                year
                for year, start in self.year_starts.items()
                if start < current_start and year != self.current_year
            }
        listed = {self.years[record.year_sourced_id] for record in self.s.classrooms.values()}
        listed |= {self.years[record.sourced_id] for record in self.s.years.values()}
        if listed:
            self.history_years = {row[0] for row in self.ex.years.values()} - listed
        self.history_years |= self.past_years

    def is_history(self, classroom_id: int) -> bool:
        row = self.ex.classrooms_by_id.get(classroom_id)
        return row is not None and row[5] in self.history_years

    def is_past(self, classroom_id: int) -> bool:
        row = self.ex.classrooms_by_id.get(classroom_id)
        return row is not None and row[5] in self.past_years
