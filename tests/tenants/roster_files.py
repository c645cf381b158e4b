"""Roster files for the importer's tests, built as CSV text in tmp_path (no binary fixtures).

A roster is a dict {file name: [header, row, ...]}; `write_folder` / `write_zip` put it on disk.
The Maple district: two schools, one school year with a term, two classes, two teachers, two
students and two guardians (Gina is the parent of both children, Glen a guardian of Sara only).
"""

import csv
import io
import zipfile
from pathlib import Path

ORGS = [
    ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
    ["d1", "active", "2026-08-01T00:00:00Z", "Maple District", "district", "", ""],
    ["s1", "active", "2026-08-01T00:00:00Z", "Maple Elementary", "school", "ME", "d1"],
    ["s2", "active", "2026-08-01T00:00:00Z", "Maple Middle", "school", "MM", "d1"],
]
SESSIONS = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ],
    ["y1", "active", "", "2026-2027", "schoolYear", "2026-08-15", "2027-06-15", "", "2027"],
    ["t1", "active", "", "Fall 2026", "semester", "2026-08-15", "2026-12-20", "y1", "2027"],
]
CLASSES = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
    ],
    ["c1", "active", "", "Room 3A", "03", "k1", "3A", "homeroom", "", "s1", "t1", ""],
    ["c2", "active", "", "Room 7B", "07", "k2", "7B", "homeroom", "", "s2", "t1", ""],
]
USERS_11 = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
    ],
    [
        "t-1",
        "active",
        "",
        "true",
        "s1",
        "teacher",
        "terry",
        "",
        "Terry",
        "Teach",
        "",
        "",
        "terry@maple.org",
        "",
        "",
        "",
        "",
        "hunter2",
    ],
    [
        "t-2",
        "active",
        "",
        "true",
        "s2",
        "teacher",
        "tara",
        "",
        "Tara",
        "Tutor",
        "",
        "",
        "tara@maple.org",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "st-1",
        "active",
        "",
        "true",
        "s1",
        "student",
        "sara",
        "",
        "Sara",
        "Stone",
        "",
        "P100",
        "",
        "",
        "",
        "g-1,g-2",
        "03",
        "",
    ],
    [
        "st-2",
        "active",
        "",
        "true",
        "s2",
        "student",
        "sol",
        "",
        "Sol",
        "Stone",
        "",
        "P200",
        "",
        "",
        "",
        "g-1",
        "07",
        "",
    ],
    [
        "g-1",
        "active",
        "",
        "true",
        "s1,s2",
        "parent",
        "gina",
        "",
        "Gina",
        "Stone",
        "",
        "",
        "Gina@Example.com",
        "(202) 555-0147",
        "",
        "st-1,st-2",
        "",
        "",
    ],
    [
        "g-2",
        "active",
        "",
        "true",
        "s1",
        "guardian",
        "glen",
        "",
        "Glen",
        "Gray",
        "",
        "",
        "",
        "",
        "312-555-0123",
        "st-1",
        "",
        "",
    ],
]
ENROLLMENTS = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ],
    ["e1", "active", "", "c1", "s1", "t-1", "teacher", "true", "2026-08-15", ""],
    ["e2", "active", "", "c1", "s1", "st-1", "student", "false", "", ""],
    ["e3", "active", "", "c2", "s2", "st-2", "student", "false", "", ""],
    ["e4", "active", "", "c2", "s2", "t-2", "teacher", "true", "", ""],
]
DEMOGRAPHICS = [
    ["sourcedId", "status", "dateLastModified", "birthDate", "sex", "americanIndianOrAlaskaNative"],
    ["st-1", "active", "", "2018-04-02", "female", "false"],
]


def manifest(version: str, files: dict[str, str]) -> list[list[str]]:
    rows = [["propertyName", "value"], ["manifest.version", "1.0"], ["oneroster.version", version]]
    return rows + [[f"file.{name}", mode] for name, mode in files.items()]


def oneroster_11() -> dict[str, list[list[str]]]:
    files = {
        "orgs.csv": ORGS,
        "academicSessions.csv": SESSIONS,
        "classes.csv": CLASSES,
        "users.csv": USERS_11,
        "enrollments.csv": ENROLLMENTS,
    }
    modes = {name.removesuffix(".csv"): "bulk" for name in files}
    modes |= {"courses": "absent", "demographics": "absent"}
    return {"manifest.csv": manifest("1.1", modes), **_copy(files)}


def oneroster_12() -> dict[str, list[list[str]]]:
    """The same people in 1.2: no role / orgSourcedIds on users, a roles.csv, preferred names."""
    header = [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "preferredGivenName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "primaryOrgSourcedId",
    ]
    users = [header]
    old = USERS_11[0]
    for row in USERS_11[1:]:
        r = dict(zip(old, row, strict=True))
        preferred = "Sunny" if r["sourcedId"] == "st-2" else ""
        users.append(
            [
                r["sourcedId"],
                "active",
                "",
                "true",
                r["username"],
                "",
                r["givenName"],
                r["familyName"],
                "",
                preferred,
                r["identifier"],
                r["email"],
                r["sms"],
                r["phone"],
                r["agentSourcedIds"],
                r["grades"],
                "",
                "",
            ]
        )
    users.append(
        [
            "a-1",
            "active",
            "",
            "true",
            "amy",
            "",
            "Amy",
            "Admin",
            "",
            "",
            "",
            "amy@maple.org",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    users.append(
        [
            "a-2",
            "active",
            "",
            "true",
            "pat",
            "",
            "Pat",
            "Principal",
            "",
            "",
            "",
            "pat@maple.org",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    roles = [
        [
            "sourcedId",
            "status",
            "dateLastModified",
            "userSourcedId",
            "roleType",
            "role",
            "beginDate",
            "endDate",
            "orgSourcedId",
            "userProfileSourcedId",
        ]
    ]
    for number, (user, role, org) in enumerate(
        [
            ("t-1", "teacher", "s1"),
            ("t-2", "teacher", "s2"),
            ("st-1", "student", "s1"),
            ("st-2", "student", "s2"),
            ("g-1", "parent", "s1"),
            ("g-2", "guardian", "s1"),
            ("a-1", "districtAdministrator", "d1"),
            ("a-2", "principal", "s2"),
            ("t-2", "parent", "s1"),
        ],
        1,
    ):
        roles.append([f"r{number}", "active", "", user, "primary", role, "", "", org, ""])
    files = {
        "orgs.csv": ORGS,
        "academicSessions.csv": SESSIONS,
        "classes.csv": CLASSES,
        "users.csv": users,
        "roles.csv": roles,
        "enrollments.csv": ENROLLMENTS,
    }
    modes = {name.removesuffix(".csv"): "bulk" for name in files} | {"userProfiles": "absent"}
    return {"manifest.csv": manifest("1.2", modes), **_copy(files)}


def engage() -> dict[str, list[list[str]]]:
    return {
        "staff.csv": [
            [
                "staff_id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "role",
                "school_id",
                "school_name",
                "classroom_id",
                "classroom_name",
                "grade",
            ],
            [
                "T1",
                "Terry",
                "Teach",
                "terry@oak.org",
                "",
                "teacher",
                "OAK",
                "Oak Primary",
                "Y3",
                "Year 3",
                "03",
            ],
            [
                "T1",
                "Terry",
                "Teach",
                "terry@oak.org",
                "",
                "teacher",
                "OAK",
                "Oak Primary",
                "Y4",
                "Year 4",
                "04",
            ],
            [
                "H1",
                "Hana",
                "Head",
                "hana@oak.org",
                "",
                "school_admin",
                "OAK",
                "Oak Primary",
                "",
                "",
                "",
            ],
        ],
        "children.csv": [
            [
                "child_id",
                "first_name",
                "last_name",
                "preferred_name",
                "school_id",
                "school_name",
                "classroom_id",
                "classroom_name",
                "grade",
                "birth_date",
            ],
            ["C1", "Alice", "Ash", "Ali", "OAK", "Oak Primary", "Y3", "Year 3", "03", "2019-01-05"],
            ["C2", "Bob", "Birch", "", "OAK", "Oak Primary", "Y4", "Year 4", "04", ""],
        ],
        "guardians.csv": [
            ["guardian_id", "first_name", "last_name", "email", "phone", "language"],
            ["G1", "Gwen", "Ash", "gwen@example.com", "(202) 555-0199", "es"],
            ["G2", "Gus", "Birch", "", "(415) 555-0132", ""],
        ],
        "links.csv": [
            ["guardian_id", "child_id", "relationship", "contact_role"],
            ["G1", "C1", "mother", "primary"],
            ["G2", "C2", "father", ""],
        ],
    }


def _copy(files):
    return {name: [list(row) for row in rows] for name, rows in files.items()}


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def write_folder(folder: Path, files: dict, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        (folder / name).write_bytes(csv_text(rows).encode(encoding))
    return folder


def write_zip(path: Path, files: dict, encoding: str = "utf-8") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in files.items():
            archive.writestr(name, csv_text(rows).encode(encoding))
    return path


def column(files: dict, name: str, column_name: str) -> int:
    return files[name][0].index(column_name)


def set_cell(files: dict, name: str, sourced_id: str, column_name: str, value: str) -> None:
    """Set one cell of the row whose first cell is `sourced_id`."""
    index = column(files, name, column_name)
    for row in files[name][1:]:
        if row[0] == sourced_id:
            row[index] = value
            return
    raise KeyError(sourced_id)


def drop_row(files: dict, name: str, sourced_id: str) -> None:
    files[name] = [row for row in files[name] if row[0] != sourced_id]
