"""Opening a roster: a ZIP or a folder of CSV files, size-limited, read as UTF-8 rows.

Each file is streamed row by row (never read whole), so memory does not grow with its size.
"""

import codecs
import csv
import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from tenants.roster.report import Report, RosterRejected

DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024


def max_file_bytes() -> int:
    return getattr(settings, "ROSTER_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)


class RosterSource:
    """The CSV files of one roster, by file name, from a ZIP or a folder."""

    def __init__(self, path: str | Path, report: Report):
        self.path = Path(path)
        self.report = report
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

    def rows(self, name: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
        """(line number, {column: stripped value}) for each row of `name`.

        Missing required columns, or bytes that are not UTF-8, are reported (located) and end
        the file. A UTF-8 byte order mark is fine.
        """
        with self.open_binary(name) as raw:
            position = _Position()
            reader = csv.reader(_decoded_lines(raw, position))
            try:
                yield from self._rows(name, reader, required)
            except UnicodeDecodeError:
                self.report.error(
                    name,
                    position.line,
                    "",
                    "",
                    "the file is not UTF-8 (perhaps Latin-1 / Windows-1252): save it as CSV UTF-8",
                )
            except csv.Error as error:
                self.report.error(name, reader.line_num, "", "", f"not a valid CSV file: {error}")

    def _rows(self, name, reader, required):
        header = [column.strip() for column in next(reader, [])]
        missing = [column for column in required if column not in header]
        if missing:
            self.report.error(
                name, 1, ", ".join(missing), "", "required column missing: " + ", ".join(missing)
            )
            return
        width = len(header)
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            cells = [cell.strip() for cell in cells[:width]]
            cells.extend([""] * (width - len(cells)))
            yield reader.line_num, dict(zip(header, cells, strict=True))


def describe_size(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{size} bytes"


class _Position:
    line = 0


def _decoded_lines(raw, position: _Position):
    """Decode line by line, so that bytes that are not UTF-8 are reported on their own line."""
    for number, line in enumerate(raw, 1):
        position.line = number
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :]
        yield line.decode("utf-8")
