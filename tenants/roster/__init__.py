"""The roster importer: OneRoster 1.1 / 1.2 CSV and the plain Engage CSV, into one district.

What: `do_import_roster` (actions.py) reads a ZIP or folder, and upserts schools, school years,
classrooms, staff, children, guardians and their links, keyed by the roster's sourcedId (or the
school's own id) within the district. Why this shape: volume (100,000 people, 250,000
enrollments) rules out one action per row, so the pipeline is

    source.py    open the ZIP / folder: size limit, UTF-8, checksum
    oneroster.py / engage_csv.py   parse + validate each row, streaming, into compact records
    records.py   the in-memory snapshot, keyed by sourcedId; cross-file reference checks
    plan.py      load the district's existing rows in a few queries and diff: create / update /
                 unchanged / deactivate, with every count known before anything is written
    write.py     bulk_create / bulk_update in batches, in one transaction

Safe to re-run: the same files give an all-"unchanged" report and write nothing but the run's
own record (RosterImportRun + one audit event). Nothing is ever deleted: what a bulk file no
longer lists is deactivated, and its memberships, enrollments and links are ended. Contacts a
family verified are never overwritten; they are reported as "changed by families".
"""
