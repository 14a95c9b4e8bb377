"""Pure functions of the open-data layer: value comparison and the personal-data scan."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa

from open_data.pipeline import comparable
from open_data.privacy import scan_table


def test_timestamps_compare_as_instants_whatever_the_printing():
    mart = dt.datetime(2026, 11, 24, 11, 21, 31, 123400, tzinfo=dt.UTC).isoformat()
    assert mart == "2026-11-24T11:21:31.123400+00:00"
    assert comparable(mart) == comparable("2026-11-24T11:21:31.1234")          # DataStore timestamptz
    assert comparable(mart) == comparable("2026-11-24 18:21:31.1234+07:00")    # another zone
    assert comparable(mart) != comparable("2026-11-24T11:21:31.1235")
    assert comparable(3) == comparable(3.0) and comparable("79") != comparable(79)
    assert comparable("2025-07-01") == "2025-07-01"


def test_privacy_scan_finds_citizen_ids_and_phones_by_value_and_name():
    clean = pa.table({"name": ["Bệnh viện Chợ Rẫy"], "certificate_no": ["000123/HCM-CCHN"]})
    assert scan_table(clean) == []
    leaky = pa.table({"note": ["liên hệ 0908 123 456"], "ghi_chu": ["CCCD 079123456789"],
                      "so_dien_thoai": ["x"]})
    found = scan_table(leaky)
    findings = " | ".join(found)
    assert "'note'" in findings and "phone number" in findings
    assert "'ghi_chu'" in findings and "citizen ID" in findings
    assert "column 'so_dien_thoai' is personal data by name" in found
    assert scan_table(pa.table({"phone": ["—"]})) == ["column 'phone' is personal data by name"]
