"""Text clean-up shared by silver jobs: invisible characters out, Vietnamese in NFC, white space
collapsed, trimmed, blanks as null.

On Spark it runs in Arrow (``pyarrow.compute``: ``utf8_normalize`` and RE2 regular expressions) over
whole column batches: Spark has no native Unicode normalisation, and a Python function called once per
value was the silver jobs' slowest step. :func:`clean_text` is the same rule on one Python string
(the reference the Arrow version is tested against).
"""
from __future__ import annotations

import unicodedata
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column
from pyspark.sql import functions as F
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


def _re2_class(codes) -> str:
    """An RE2 character class of these code points (escaped: a NUL or a bidi character never appears
    literally in the pattern)."""
    return "[" + "".join(f"\\x{{{c:x}}}" for c in sorted(codes)) + "]"


# every character Python's str.split() splits on (str.isspace): Arrow's own white space classes differ
# from Python's, and clean_text uses str.split()
SPACE = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
         *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
_STRIP_RE = _re2_class(STRIP) + "+"
_SPACE_RE = _re2_class(SPACE) + "+"


def nfc_values(values: pa.Array) -> pa.Array:
    """:func:`clean_text` on an Arrow array, vectorised: invisible characters removed, NFC, runs of
    white space as one space, trimmed; empty strings as null."""
    text = pc.replace_substring_regex(values, _STRIP_RE, "")
    text = pc.utf8_normalize(text, form="NFC")
    text = pc.replace_substring_regex(text, _SPACE_RE, " ")
    text = pc.utf8_trim(text, " ")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


@cache
def _nfc_udf(remote: bool):
    # made when first used, not at import: by then the session says whether this is a classic
    # session or a Spark Connect client, and the UDF must be of the same kind
    from pyspark.sql.functions import arrow_udf

    return arrow_udf(nfc_values, StringType())


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
