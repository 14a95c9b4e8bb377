"""Text clean-up shared by silver jobs: invisible characters out, Vietnamese in NFC, trimmed, blanks as null."""
from __future__ import annotations

import unicodedata
from functools import cache

import pandas as pd
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import StringType

# Characters that change how text reads without being seen: a name that looks like "Bệnh viện A" but
# is not equal to it, or whose letters a bidi override shows in another order (Trojan Source). Bidi
# embeddings, overrides and isolates, the directional marks, and the zero-width characters.
BIDI = {*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C}
ZERO_WIDTH = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}


# control characters (all below U+00A0), except white space (tab, new line, …): that is collapsed
# to one space instead
CONTROL = {c for c in range(0xA0) if unicodedata.category(chr(c)) == "Cc" and not chr(c).isspace()}
STRIP = dict.fromkeys(CONTROL | BIDI | ZERO_WIDTH)


def clean_text(value: str | None) -> str | None:
    """Invisible characters removed, then NFC with white space collapsed; blank → None.

    Stripped before normalising: a zero-width character between a letter and its accent would
    otherwise keep them from composing.
    """
    if value is None:
        return None
    return " ".join(unicodedata.normalize("NFC", value.translate(STRIP)).split()) or None


def _nfc_values(values: pd.Series) -> pd.Series:
    return values.map(clean_text)


@cache
def _nfc_udf(remote: bool):
    # made when first used, not at import: by then the session says whether this is a classic
    # session or a Spark Connect client, and the UDF must be of the same kind
    return pandas_udf(_nfc_values, StringType())


def nfc(column: str | Column) -> Column:
    """:func:`clean_text` on a column: no control, bidi or zero-width characters; NFC; white space
    collapsed; empty strings become null."""
    from pyspark.sql.utils import is_remote

    return _nfc_udf(is_remote())(F.col(column) if isinstance(column, str) else column)


def phone_e164(column: str) -> Column:
    """Vietnamese phone numbers to E.164 (+84…), anything else to null."""
    digits = F.regexp_replace(F.col(column), r"[^0-9+]", "")
    national = (F.when(digits.rlike(r"^\+84[1-9][0-9]{8,9}$"), F.substring(digits, 4, 20))
                .when(digits.rlike(r"^84[1-9][0-9]{8,9}$"), F.substring(digits, 3, 20))
                .when(digits.rlike(r"^0[1-9][0-9]{8,9}$"), F.substring(digits, 2, 20)))
    return F.when(national.isNotNull(), F.concat(F.lit("+84"), national))
