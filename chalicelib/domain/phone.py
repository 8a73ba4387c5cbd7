"""Phone numbers: everything goes through ``phonenumbers`` and ends as E.164."""

from __future__ import annotations

import phonenumbers

from chalicelib.domain.errors import ValidationError

_REASONS = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "the country code is not valid",
    phonenumbers.ValidationResult.TOO_SHORT: "the number is too short",
    phonenumbers.ValidationResult.TOO_LONG: "the number is too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "the number has the wrong length",
}


def normalise(raw: str | None, default_region: str = "US") -> str:
    """Turn a number as a person types it into E.164, or say exactly why not."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError("a phone number is required", code="invalid_phone")
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            f"'{raw}' is not a phone number: {exc._msg}", code="invalid_phone"
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        reason = _REASONS.get(
            phonenumbers.is_possible_number_with_reason(parsed),
            f"it is not a valid number in region {phonenumbers.region_code_for_number(parsed) or default_region}",
        )
        raise ValidationError(
            f"'{raw}' is not a valid phone number: {reason}", code="invalid_phone"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
