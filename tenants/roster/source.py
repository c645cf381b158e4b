"""Opening a roster: a ZIP or a folder of CSV files, size-limited, read as UTF-8 rows.

Each file is streamed row by row (never read whole), so memory does not grow with its size, and
each row comes as a tuple of just the columns its parser reads.
"""

import csv
import hashlib
import io
import operator
import zipfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from tenants.roster.progress import PROGRESS_EVERY, Progress
from tenants.roster.report import Report, RosterRejected

DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024


def max_file_bytes() -> int:
    return getattr(settings, "ROSTER_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)


class RosterSource:
    """The CSV files of one roster, by file name, from a ZIP or a folder."""

    def __init__(self, path: str | Path, report: Report, progress: Progress | None = None):
        self.path = Path(path)
        self.report = report
        self.progress = progress or Progress()
        self.file_rows = 0
        self.limit = max_file_bytes()
        self._zip: zipfile.ZipFile | None = None
        self.sizes: dict[str, int] = {}
        if self.path.is_dir():
            self.sizes = {p.name: p.stat().st_size for p in self.path.iterdir() if p.is_file()}
        elif self.path.is_file():
            self._check_size(self.path.name, self.path.stat().st_size)
            self._open_zip()
        else:
            self._reject(self.path.name, "no such file or folder")
        for name, size in self.sizes.items():
            self._check_size(name, size)

    def _open_zip(self) -> None:
        if not zipfile.is_zipfile(self.path):
            self._reject(self.path.name, "not a ZIP file: upload the roster as a .zip")
        self._zip = zipfile.ZipFile(self.path)
        # Only files at the root count; the sizes are the uncompressed ones (a ZIP bomb is refused).
        self.sizes = {
            i.filename: i.file_size for i in self._zip.infolist() if "/" not in i.filename
        }

    def _check_size(self, name: str, size: int) -> None:
        if size > self.limit:
            self._reject(name, f"the file is larger than the limit of {describe_size(self.limit)}")

    def _reject(self, name: str, reason: str) -> None:
        self.report.error(name, None, "", "", reason)
        raise RosterRejected(reason)

    def has(self, name: str) -> bool:
        return name in self.sizes

    def open_binary(self, name: str):
        if self._zip is not None:
            return self._zip.open(name)
        return (self.path / name).open("rb")

    def sha256(self) -> str:
        """The checksum of the ZIP, or of the folder's files in name order."""
        digest = hashlib.sha256()
        names = [None] if self._zip is not None else sorted(self.sizes)
        for name in names:
            path = self.path if name is None else self.path / name
            with path.open("rb") as handle:
                for block in iter(lambda h=handle: h.read(1 << 20), b""):
                    digest.update(block)
        return digest.hexdigest()

    def rows(
        self, name: str, required: tuple[str, ...], columns: tuple[str, ...]
    ) -> Iterator[tuple[int, tuple[str, ...]]]:
        """(line number, the stripped values of `columns` in that order) for each row of `name`.

        A column the file does not have reads as "". Missing required columns, bytes that are
        not UTF-8, or broken quoting are reported (located) and end the file. A UTF-8 byte order
        mark is fine. Rows are decoded and split by the C csv reader, never held whole.
        """
        with self.open_binary(name) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
            try:
                yield from self._rows(name, reader, required, columns)
            except UnicodeDecodeError:
                self.report.error(
                    name,
                    self._first_line_not_utf8(name),
                    "",
                    "",
                    "the file is not UTF-8 (perhaps Latin-1 / Windows-1252): save it as CSV UTF-8",
                )
            except csv.Error as error:
                self.report.error(name, reader.line_num, "", "", f"not a valid CSV file: {error}")

    def _rows(self, name, reader, required, columns):
        header = [column.strip() for column in next(reader, [])]
        missing = [column for column in required if column not in header]
        if missing:
            self.report.error(
                name, 1, ", ".join(missing), "", "required column missing: " + ", ".join(missing)
            )
            return
        width = len(header)
        index = {column: number for number, column in enumerate(header)}
        # A column the file lacks reads the empty cell appended after the last one; that cell,
        # picked last and dropped, makes itemgetter return a tuple even for a single column.
        pick = operator.itemgetter(*[index.get(column, width) for column in columns], width)
        padding = [""] * (width + 1)
        unreported = 0
        for cells in reader:
            if not any(map(str.strip, cells)):
                continue
            if len(cells) > width:
                del cells[width:]
            cells.extend(padding[len(cells) :])
            yield reader.line_num, tuple(map(str.strip, pick(cells)[:-1]))
            unreported += 1
            if unreported == PROGRESS_EVERY:
                self.progress.advance(unreported)
                unreported = 0
        self.progress.advance(unreported)

    def _first_line_not_utf8(self, name: str) -> int | None:
        """The first line of `name` that is not UTF-8 (a second pass, only after a failure)."""
        with self.open_binary(name) as raw:
            for number, line in enumerate(raw, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return number
        return None

    def expect_rows(self, names) -> None:
        """The files about to be read: count their rows when someone watches the progress."""
        if self.progress.is_observed:
            self.file_rows = self.count_rows(names)
            # until the plan says how many rows it writes, assume as many as the files hold
            self.progress.set_total(self.progress.done + 2 * self.file_rows)

    def count_rows(self, names) -> int:
        """About how many data rows the files hold (their lines less the header), for progress."""
        total = 0
        for name in names:
            if not self.has(name):
                continue
            lines, last = 0, b"\n"
            with self.open_binary(name) as raw:
                for block in iter(lambda r=raw: r.read(1 << 20), b""):
                    lines += block.count(b"\n")
                    last = block[-1:]
            total += max(0, lines + (last != b"\n") - 1)
        return total


def describe_size(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{size} bytes"
