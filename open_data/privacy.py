"""The last line of defence: personal data never leaves for the open-data portal.

Column names that carry personal data are refused outright; string values are scanned for
citizen-ID (CCCD, 12 digits) and Vietnamese phone-number shapes and for dates of birth columns.
The publisher refuses a table with any finding; the tests scan what CKAN serves back.
"""
from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

FORBIDDEN_COLUMNS = re.compile(
    r"(cccd|cmnd|citizen_?id|national_?id|so_cccd|phone|dien_thoai|mobile|date_of_birth|ngay_sinh|"
    r"dob|birth|practitioner_key|email|complainant)", re.IGNORECASE)
CCCD = r"(?:^|[^0-9])[0-9]{12}(?:[^0-9]|$)"
PHONE = r"(?:^|[^0-9])(?:\+84|84|0)[ .-]?(?:[1-9][0-9]{1,2})(?:[ .-]?[0-9]{3})(?:[ .-]?[0-9]{3,4})(?:[^0-9]|$)"


def scan_table(table: pa.Table, allow: tuple[str, ...] = ()) -> list[str]:
    """Findings (empty when clean). ``allow`` names string columns known to hold codes, not people."""
    findings = [f"column {name!r} is personal data by name" for name in table.column_names
                if FORBIDDEN_COLUMNS.search(name)]
    for name, column in zip(table.column_names, table.columns):
        if name in allow or not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        for label, pattern in (("citizen ID (CCCD)", CCCD), ("phone number", PHONE)):
            hits = pc.sum(pc.match_substring_regex(column, pattern)).as_py() or 0
            if hits:
                sample = column.filter(pc.match_substring_regex(column, pattern))[0].as_py()
                findings.append(f"column {name!r}: {hits} value(s) look like a {label}, e.g. {sample!r}")
    return findings


class PersonalDataError(RuntimeError):
    pass


def require_clean(dataset: str, table: pa.Table, allow: tuple[str, ...] = ()) -> None:
    findings = scan_table(table, allow)
    if findings:
        raise PersonalDataError(f"refusing to publish {dataset}: " + "; ".join(findings))
