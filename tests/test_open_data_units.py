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


def test_disclosure_control_suppresses_rows_with_small_counts_of_people():
    """One rule: any people count of 1–4 blanks the row's people counts and what is computed from them."""
    from open_data.disclosure import THRESHOLD, DisclosureError, protect, require_protected

    assert THRESHOLD == 5
    table = pa.table({"k": ["a", "b", "c", "d", "e"], "received": [10, 4, 0, 5, None],
                      "late": [1, 0, 0, 5, 7], "rate": [0.1, 0.0, None, 1.0, 0.5], "schools": [1, 2, 3, 4, 1]})
    try:
        require_protected("t", table, ("received", "late"))
        raise AssertionError("a table with small cells passed the gate")
    except DisclosureError:
        pass
    out = protect(table, ("received", "late"), ("rate",)).to_pydict()
    assert out["received"] == [None, None, 0, 5, None]
    assert out["late"] == [None, None, 0, 5, 7]      # "e": a missing count is not a small one
    assert out["rate"] == [None, None, None, 1.0, 0.5]
    assert out["schools"] == [1, 2, 3, 4, 1] and out["small_cell_suppressed"] == [True, True, False, False, False]
    require_protected("t", protect(table, ("received", "late"), ("rate",)), ("received", "late"))


def test_every_department_is_declared_with_a_documented_mart():
    """Each dataset names a mart dbt builds, a key and people-count columns that the mart documents,
    and every column has a Vietnamese description (the portal's data dictionary)."""
    from open_data.dictionary import GLOSSARY, dbt_descriptions
    from open_data.registry import all_datasets

    specs = all_datasets()
    assert len({s.name for s in specs}) == len(specs)
    orgs = {s.organization.name for s in specs}
    assert len(orgs) == 9 and "so-xay-dung-tphcm" in orgs and "trung-tam-1022-tphcm" in orgs
    assert "trung-tam-mo-phong-du-bao-tphcm" in orgs
    docs = dbt_descriptions()
    for spec in specs:
        for column in (spec.primary_key, *spec.people_counts, *spec.derived_from_people):
            assert column in GLOSSARY, (spec.name, column)
        if spec.gold_source:
            # a centre table shaped by SQL: its columns are checked when it is published
            # (tests/test_centre_open_data.py), as an undocumented column fails the publication
            continue
        assert spec.mart in docs, spec.mart
        documented = set(docs[spec.mart])
        assert spec.primary_key in documented, (spec.name, spec.primary_key)
        assert set(GLOSSARY) >= documented, (spec.mart, documented - set(GLOSSARY))


def test_every_published_gold_copy_is_in_the_catalogue():
    """The gold table each dataset is copied to before it goes to the portal is catalogued as public,
    under the name the publisher writes (``gold/<domain>/<published_table>``)."""
    from citylake.catalog import entry
    from open_data.registry import DATASETS_BY_DOMAIN

    for domain, specs in DATASETS_BY_DOMAIN.items():
        for spec in specs:
            table = entry("gold", domain, spec.published_table)
            assert table.classification == "public" and spec.name in table.description, spec.name
