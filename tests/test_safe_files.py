"""Safe files (issue 10): what a source types into a name cannot run in a spreadsheet, hide in
invisible characters, or lose its ward in silence — on the CSV writer, the silver jobs on Spark and
the real CKAN the portal publishes to."""
from __future__ import annotations

import datetime as dt
import io

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from open_data.publish import neutralise_formulas, to_csv
from spark_jobs.text import SPACE, clean_text, nfc_values

HYPERLINK = '=HYPERLINK("http://x","y")'
# a bidi override, a zero-width space, a BOM, a word joiner, a bell and a left-to-right mark
HIDDEN = "Bệnh\u200b viện \u202eQuận 1\u202c\ufeff Đa\u2060 khoa\x07\u200e"


def test_csv_writer_quotes_formulas_in_text_cells_and_leaves_numbers_alone():
    table = pa.table({
        "name": [HYPERLINK, "+84 là mã nước", "-", "@SUM(A1)", "\tTab", "\rCR", "Bệnh viện A=B", None],
        "beds": pa.array([-5, 0, 1, 2, 3, 4, 5, None], pa.int32()),
        "kind": pa.array(["=cmd|' /C calc'!A0"] * 8).dictionary_encode(),
    })
    back = pacsv.read_csv(io.BytesIO(to_csv(table)), convert_options=pacsv.ConvertOptions(
        column_types={"name": pa.string(), "kind": pa.string()}, strings_can_be_null=True))
    assert back["name"].to_pylist() == ["'" + HYPERLINK, "'+84 là mã nước", "'-", "'@SUM(A1)", "'\tTab",
                                        "'\rCR", "Bệnh viện A=B", None]
    assert back["beds"].to_pylist() == [-5, 0, 1, 2, 3, 4, 5, None]  # a number stays a number
    assert back["kind"].to_pylist() == ["'=cmd|' /C calc'!A0"] * 8
    # only the file is changed: the table the DataStore is filled from keeps the value as it is
    assert table["name"][0].as_py() == HYPERLINK
    assert neutralise_formulas(table).schema.names == table.schema.names


def test_clean_text_strips_control_bidi_and_zero_width_characters():
    assert clean_text(HIDDEN) == "Bệnh viện Quận 1 Đa khoa"
    assert clean_text("e\u200b\u0301") == "é"  # stripped first, so the accent composes
    assert clean_text("\u200b\ufeff \u2066\u2069") is None
    assert clean_text("Phường\tSài\r\nGòn") == "Phường Sài Gòn"
    for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x200B, 0x200C, 0x200D,
                 0xFEFF, 0x2060, 0x00, 0x1B, 0x7F, 0x9B]:
        assert clean_text(f"a{chr(code)}b") == "ab", hex(code)


def test_the_arrow_clean_up_is_clean_text_value_for_value():
    """Silver runs the clean-up in Arrow (no Python call per value): it must agree with clean_text."""
    import random
    import sys

    from spark_jobs.text import STRIP

    assert {c for c in range(sys.maxunicode + 1) if chr(c).isspace()} == SPACE   # Python's str.split()
    alphabet = [chr(c) for c in (*STRIP, *SPACE)] + [*"aeoAĐđ ", "\u0301", "\u0300", "\u0323", "\u031b", "ệ"]
    rng = random.Random(14)
    values = [None, "", HIDDEN, "e\u200b\u0301", "\u200b\ufeff \u2066\u2069", "Phường\tSài\r\nGòn"]
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    assert nfc_values(pa.array(values, pa.string())).to_pylist() == [clean_text(v) for v in values]


# -- silver on Spark: the Health job and the config-driven one --

WARDS = [  # old ward → 2025 ward, as the reference table has them
    {"old_ward_code": "26740", "old_ward_name": "Phường Bến Nghé", "old_district_name": "Quận 1",
     "old_district_code": "760", "province_code": "79", "ward_code_2025": "26734",
     "ward_name_2025": "Phường Sài Gòn"},
]
NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def wards(spark):
    return spark.createDataFrame(pa.Table.from_pylist(WARDS).to_pandas())


def _facility(i: int, name: str, ward_code: str | None, ward_name: str | None) -> dict:
    return {"id": i, "ma_co_so": f"CS{i:04d}", "ten_co_so": name, "ten_phuong": ward_name, "ten_quan": "Quận 1",
            "ma_phuong": ward_code, "loai_hinh": "Phòng khám", "hinh_thuc_so_huu": "Tư nhân",
            "so_giay_phep": f"{i}/HCM-GPHĐ", "ngay_cap_phep": dt.date(2024, 1, 1), "so_giuong": 0,
            "chuyen_khoa": "Nội, Nhi", "dia_chi": "1 Lê Lợi", "vi_do": 10.77, "kinh_do": 106.70,
            "trang_thai": "Đang hoạt động", "ngay_cap_nhat": NOW, "_batch_id": "b1", "_batch_seq": 1}


def test_health_silver_strips_hidden_characters_keeps_the_formula_text_and_flags_unknown_wards(spark, wards):
    from spark_jobs import health_silver

    bronze = spark.createDataFrame(pa.Table.from_pylist([
        _facility(1, HYPERLINK, "26740", "Phường Bến Nghé"),
        _facility(2, HIDDEN, "26740", "Phường Bến Nghé"),
        _facility(3, "Phòng khám Không Phường", "99999", "Phường Không Có"),
    ]).to_pandas())
    good, bad, _ = health_silver.facilities(bronze, wards)
    names = {r["facility_id"]: r["name"] for r in good.collect()}
    assert names == {1: HYPERLINK, 2: "Bệnh viện Quận 1 Đa khoa"}
    quarantined = {r["source_key"]: r["reason"] for r in bad.collect()}
    assert quarantined == {"3": "ward not found: code=99999, name=Phường Không Có, district=Quận 1"}
    # and the name a source typed as a formula reaches the CSV as text
    csv = to_csv(pa.Table.from_pylist([{"facility_id": 1, "name": names[1]}])).decode()
    assert pacsv.read_csv(io.BytesIO(csv.encode()))["name"].to_pylist() == ["'" + HYPERLINK]


def test_silver_flags_an_optional_ward_it_cannot_find_and_quarantines_a_required_one(spark, wards):
    from citylake.source_config import SourceConfig
    from spark_jobs import silver

    def source(required: bool) -> SourceConfig:
        return SourceConfig.model_validate({
            "name": "shops", "source": "shops", "owner": "test", "kind": "postgresql", "database": "shops",
            "update_frequency": "daily", "freshness_hours": 26, "tables": {"shops": {
                "query_table": "cuahang.cua_hang", "key": ["id"], "watermark": "ngay_cap_nhat",
                "silver": {"name": "shops", "columns": {"shop_id": "id", "shop_name": "ten"},
                           "ward": {"code": "ma_phuong", "name": "ten_phuong", "district": "ten_quan",
                                    "required": required}}}}})

    rows = [{"id": 1, "ten": "Cửa\u200b hàng \u202eA", "ma_phuong": "26740", "ten_phuong": "Phường Bến Nghé"},
            {"id": 2, "ten": "Cửa hàng B", "ma_phuong": "99999", "ten_phuong": "Phường Không Có"},
            {"id": 3, "ten": "Cửa hàng C", "ma_phuong": None, "ten_phuong": None}]
    bronze = spark.createDataFrame(pa.Table.from_pylist(
        [{**r, "ten_quan": "Quận 1", "ngay_cap_nhat": NOW, "_batch_id": "b1", "_batch_seq": 1} for r in rows]
    ).to_pandas())
    optional = source(False)
    good, bad = silver.shape(bronze, optional, optional.tables["shops"], wards, "salt")
    kept = {r["shop_id"]: r.asDict() for r in good.collect()}
    assert set(kept) == {1, 2, 3} and bad.count() == 0  # nothing dropped
    assert kept[1]["shop_name"] == "Cửa hàng A" and kept[1]["ward_code_2025"] == "26734"
    assert kept[1]["ward_issue"] is None
    assert kept[2]["ward_code_2025"] is None and kept[2]["source_ward_code"] == "99999"
    assert kept[2]["ward_issue"] == "ward not found: code=99999, name=Phường Không Có"
    assert kept[3]["ward_issue"] is None  # the source gave no ward: nothing to flag

    required = source(True)
    good, bad = silver.shape(bronze, required, required.tables["shops"], wards, "salt")
    assert sorted(r["shop_id"] for r in good.collect()) == [1]
    assert {r["source_key"]: r["reason"] for r in bad.collect()} == {
        "2": "ward not found: code=99999, name=Phường Không Có", "3": "ward not found: code=∅, name=∅"}


def test_a_formula_name_published_to_ckan_is_text_in_the_csv_and_as_typed_in_the_datastore(ckan):
    """Through the publisher to the real CKAN: the downloaded CSV has it quoted, the DataStore as is."""
    import ckanapi
    import requests

    from open_data.publish import publish
    from open_data.spec import DatasetSpec, OrganizationSpec

    settings = ckan
    spec = DatasetSpec(name="thu-nghiem-cong-thuc", mart="dim_health_facilities", primary_key="facility_id",
                       organization=OrganizationSpec("thu-nghiem", "Thử nghiệm", "Test organisation"),
                       title="Thử nghiệm", title_en="Formula test", notes="-", notes_en="-")
    api = ckanapi.RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token)
    try:
        api.action.dataset_purge(id=spec.name)
    except ckanapi.NotFound:
        pass
    table = pa.table({"facility_id": [1, 2], "name": [HYPERLINK, "Bệnh viện Chợ Rẫy"], "beds": [-5, 1800]})
    publish(api, spec, table, settings.ckan_url)
    resource = next(r for r in api.action.package_show(id=spec.name)["resources"] if r["format"] == "CSV")
    body = requests.get(resource["url"], headers={"Authorization": settings.ckan_api_token}, timeout=60)
    body.raise_for_status()
    served = pacsv.read_csv(io.BytesIO(body.content)).to_pylist()
    assert served == [{"facility_id": 1, "name": "'" + HYPERLINK, "beds": -5},
                      {"facility_id": 2, "name": "Bệnh viện Chợ Rẫy", "beds": 1800}]
    records = api.action.datastore_search(resource_id=resource["id"], sort="facility_id")["records"]
    assert [r["name"] for r in records] == [HYPERLINK, "Bệnh viện Chợ Rẫy"]
    api.action.dataset_purge(id=spec.name)
