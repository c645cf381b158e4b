"""Phone numbers are stored in E.164 form, normalised with `phonenumbers`."""

import phonenumbers
from django.conf import settings


class InvalidPhoneNumber(ValueError):
    pass


def normalise_phone(raw: str, region: str | None = None) -> str:
    """'(555) 010-2030' -> '+15550102030'. Raises InvalidPhoneNumber when it is not a number."""
    try:
        parsed = phonenumbers.parse(raw, region or settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(str(error)) from error
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
