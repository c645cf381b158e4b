"""Running the import_roster command in tests: the JSON report and the exit status."""

import io
import json

from django.core.management import CommandError, call_command

from tenants.roster.report import COUNT_KEYS


def run_import(path, district: str, *options: str) -> tuple[dict, int]:
    out = io.StringIO()
    try:
        call_command(
            "import_roster", str(path), "--district", district, "--json", *options, stdout=out
        )
    except CommandError as error:
        return json.loads(out.getvalue()), error.returncode
    return json.loads(out.getvalue()), 0


def counts(**values: int) -> dict[str, int]:
    """A count object: the given keys, zero for the others."""
    assert set(values) <= set(COUNT_KEYS)
    return {key: values.get(key, 0) for key in COUNT_KEYS}
