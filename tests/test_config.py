"""Configuration is validated where it is read: CITYLAKE_* variables by Settings, source.yml by its models.

A bad value is refused with an error that says where it is: the variable and its value, or the file and
the field's path. And the floors hold: the import-linter contracts of setup.cfg pass.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from citylake.settings import Settings, SettingsError
from citylake.source_config import SOURCES_DIR, ConfigError, all_sources, load_source

REPO = Path(__file__).resolve().parent.parent


# -- settings --

@pytest.mark.parametrize(("name", "value", "says"), [
    ("CITYLAKE_PORT_BASE", "abc", "Input should be a valid integer"),
    ("CITYLAKE_PORT_BASE", "65530", "must lie within 1024–65535"),
    ("CITYLAKE_PORT_BASE", "80", "must lie within 1024–65535"),
    ("CITYLAKE_SCALE", "0", "greater than 0"),
    ("CITYLAKE_SHUFFLE_PARTITIONS", "many", "valid integer"),
    ("CITYLAKE_SPARK_DRIVER_MEMORY", "two gigs", "should match pattern"),
    ("CITYLAKE_HOTLINE_ANSWER_GOAL", "1.5", "less than or equal to 1"),
])
def test_a_bad_variable_is_named_with_its_value(monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        Settings()
    assert f"{name}={value!r}" in str(refused.value) and says in str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_variables_are_read_when_settings_are_built(monkeypatch, tmp_path):
    monkeypatch.setenv("CITYLAKE_LAKEHOUSE", str(tmp_path / "lake"))
    monkeypatch.setenv("CITYLAKE_SCALE", "0.5")
    monkeypatch.setenv("CITYLAKE_TASK_RETRIES", "")  # empty is unset: the default
    s = Settings()
    assert (s.lakehouse, s.source_scale, s.task_retries) == (str(tmp_path / "lake"), 0.5, 2)
    assert s.env()["CITYLAKE_LAKEHOUSE"] == str(tmp_path / "lake")
    assert Settings(lakehouse_override="s3://city/lake").lakehouse == "s3://city/lake"
    with pytest.raises(ValidationError, match="frozen"):
        s.port_base = 1


# -- source.yml --

def _copy(tmp_path: Path, name: str, change) -> Path:
    """A copy of a real source.yml under tmp_path/<name>/, with ``change`` applied to its YAML."""
    raw = yaml.safe_load((SOURCES_DIR / name / "source.yml").read_text())
    change(raw)
    (tmp_path / name).mkdir(parents=True)
    (tmp_path / name / "source.yml").write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))
    return tmp_path


def _refused(tmp_path: Path, name: str, change) -> str:
    directory = _copy(tmp_path, name, change)
    with pytest.raises(ConfigError) as refused:
        load_source(name, directory)
    return str(refused.value)


def test_every_source_config_loads():
    sources = all_sources()
    assert {s.name for s in sources} >= {"health", "land", "cameras"}
    land = load_source("land")
    assert land.kind == "mariadb" and land.domain == "land"
    assert land.tables["parcels"].name == "parcels" and land.tables["parcels"].key == ("id",)
    assert land.tables["certificates"].silver.pseudonymise == {"holder_key": "so_cccd"}


def test_a_copy_loads_from_another_directory(tmp_path):
    directory = _copy(tmp_path, "land", lambda raw: None)
    assert load_source("land", directory) == load_source("land")


def test_a_missing_field_names_the_file_and_the_field(tmp_path):
    message = _refused(tmp_path, "land", lambda raw: raw["tables"]["parcels"].pop("watermark"))
    assert "land/source.yml: tables.parcels.watermark: Field required" in message


def test_a_wrong_enum_value_names_the_file_and_the_field(tmp_path):
    message = _refused(tmp_path, "land", lambda raw: raw.update(kind="oracle"))
    assert "land/source.yml: kind: Input should be 'postgresql' or 'mariadb'" in message
    message = _refused(tmp_path / "b", "land",
                       lambda raw: raw["tables"]["transactions"].update(delete_detection="sometimes"))
    assert "land/source.yml: tables.transactions.delete_detection: Input should be 'none' or 'keys'" in message


def test_an_unknown_key_is_refused(tmp_path):
    message = _refused(tmp_path, "land", lambda raw: raw.update(generator="simulators.departments.land.generator"))
    assert "land/source.yml: generator: Extra inputs are not permitted" in message
    message = _refused(tmp_path / "b", "land", lambda raw: raw["tables"]["certificates"]["silver"].update(
        pseudonymize=raw["tables"]["certificates"]["silver"].pop("pseudonymise")))
    assert "land/source.yml: tables.certificates.silver.pseudonymize: Extra inputs are not permitted" in message


def test_cross_field_checks_name_the_block(tmp_path):
    def leak(raw):
        raw["tables"]["certificates"]["silver"]["columns"]["holder_id"] = "so_cccd"

    message = _refused(tmp_path, "land", leak)
    assert ("land/source.yml: tables.certificates.silver: personal data would reach silver as ['holder_id']; "
            "pseudonymise it") in message
    message = _refused(tmp_path / "b", "land",
                       lambda raw: raw["tables"]["parcels"]["silver"]["required"].append("no_such_column"))
    assert ("land/source.yml: tables.parcels.silver.required: 'no_such_column' is used but not among the "
            "silver columns") in message
    message = _refused(tmp_path / "c", "land", lambda raw: raw["tables"]["parcels"]["silver"]["ward"].pop("name"))
    assert "tables.parcels.silver.ward: ward needs 'code' and 'name'" in message


# -- the floors --

def test_the_import_contracts_hold(tmp_path):
    """setup.cfg's [importlinter] contracts: each floor imports only from below, nothing imports simulators."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists() or shutil.which("lint-imports"), "import-linter is not installed"
    done = subprocess.run([str(lint_imports if lint_imports.exists() else "lint-imports"), "--no-cache"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
