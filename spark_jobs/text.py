"""Text clean-up shared by silver jobs: Vietnamese in NFC, trimmed, blanks as null."""
from __future__ import annotations

import unicodedata
from functools import cache

import pandas as pd
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import StringType


def _nfc_values(values: pd.Series) -> pd.Series:
    return values.map(lambda v: None if v is None else (" ".join(unicodedata.normalize("NFC", v).split()) or None))


@cache
def _nfc_udf(remote: bool):
    # made when first used, not at import: by then the session says whether this is a classic
    # session or a Spark Connect client, and the UDF must be of the same kind
    return pandas_udf(_nfc_values, StringType())


def nfc(column: str | Column) -> Column:
    """Unicode NFC with white space collapsed; empty strings become null."""
    from pyspark.sql.utils import is_remote

    return _nfc_udf(is_remote())(F.col(column) if isinstance(column, str) else column)


def phone_e164(column: str) -> Column:
    """Vietnamese phone numbers to E.164 (+84…), anything else to null."""
    digits = F.regexp_replace(F.col(column), r"[^0-9+]", "")
    national = (F.when(digits.rlike(r"^\+84[1-9][0-9]{8,9}$"), F.substring(digits, 4, 20))
                .when(digits.rlike(r"^84[1-9][0-9]{8,9}$"), F.substring(digits, 3, 20))
                .when(digits.rlike(r"^0[1-9][0-9]{8,9}$"), F.substring(digits, 2, 20)))
    return F.when(national.isNotNull(), F.concat(F.lit("+84"), national))
