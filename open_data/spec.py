"""What a published dataset is: the audited table it is made from (a mart, or a gold table of the
simulation and forecasting centre), its key, organisation and portal metadata."""
from __future__ import annotations

from dataclasses import dataclass, field

LICENSE_ID = "CC-BY-4.0"
LICENSE_TITLE = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENSE_VERSION = "4.0"


@dataclass(frozen=True)
class OrganizationSpec:
    name: str
    title: str
    description: str
    title_en: str = ""
    email: str = ""
    url: str = ""


def organization(name: str, title: str, title_en: str, what: str, what_en: str) -> OrganizationSpec:
    """A publisher with its Vietnamese and English names, what it publishes in both languages, and
    its open-data mailbox."""
    return OrganizationSpec(name=name, title=title, title_en=title_en,
                            description=f"{title} — {title_en}. {what} / {what_en}",
                            email=f"opendata.{name}@citylake.invalid")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    mart: str | None          # the published mart it is made from, or None for a gold source
    primary_key: str
    organization: OrganizationSpec
    title: str
    title_en: str
    notes: str
    notes_en: str
    tags: list[str] = field(default_factory=list)
    license_id: str = LICENSE_ID
    # an EU frequency authority code (DAILY, MONTHLY...): dct:accrualPeriodicity in the DCAT output
    update_frequency: str = "daily"
    spatial_coverage: str = "Thành phố Hồ Chí Minh (mã 79) / Ho Chi Minh City"
    source: str = "Hệ thống cấp phép của Sở Y tế TP.HCM, qua kho dữ liệu dùng chung citylake"
    geojson: bool = False
    # string columns that hold registry codes (not people) and are exempt from the value scan
    allow_codes: tuple[str, ...] = ()
    # counts of people (pupils, callers, applicants...): cells below the disclosure threshold are
    # suppressed before publication (open_data/disclosure.py), with the columns computed from them
    people_counts: tuple[str, ...] = ()
    derived_from_people: tuple[str, ...] = ()
    # the column whose minimum and maximum are the dataset's temporal coverage
    temporal_column: str | None = None
    # made from an audited gold table instead of a mart: (domain, table), shaped by ``sql`` (DuckDB
    # over the table named ``source``) into what the portal shows, published as ``gold/<domain>/<as_table>``
    gold_source: tuple[str, str] | None = None
    sql: str | None = None
    as_table: str | None = None

    @property
    def source_asset_uri(self) -> str:
        """The Asset whose update means new data for this dataset."""
        if self.gold_source:
            return "citylake://gold/{}/{}".format(*self.gold_source)
        return f"citylake://warehouse/{self.mart}"

    @property
    def published_table(self) -> str:
        """The gold table the published copy is written to."""
        return self.as_table or self.mart
