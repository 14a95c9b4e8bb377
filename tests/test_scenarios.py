"""Growth scenarios: the baseline reproduces the calibration window, each lever moves what it should
and nothing before it starts, a bad file names its bad field, and every result carries the hash of
the exact assumptions behind it."""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from analytics_marts import marts as synthetic_marts

from analytics.scenarios.calibration import TOLERANCE, calibrate, check_baseline
from analytics.scenarios.model import simulate
from analytics.scenarios.pipeline import run, run_scenarios
from analytics.scenarios.spec import SCENARIO_DIR, Scenario, ScenarioError, load_scenario

NAMES = ("baseline", "fdi_plus_20", "metro_line_1", "industrial_park")


@pytest.fixture(scope="module")
def cal():
    return calibrate(synthetic_marts())


@pytest.fixture(scope="module")
def runs(cal) -> dict[str, pd.DataFrame]:
    return {name: simulate(load_scenario(SCENARIO_DIR / f"{name}.yaml"), cal) for name in NAMES}


def _city_at(frame: pd.DataFrame, year: int, column: str) -> float:
    return frame[frame["month"] == pd.Timestamp(f"{year}-12-01").date()][column].sum()


def test_baseline_reproduces_the_calibration_window(cal, runs):
    baseline = load_scenario(SCENARIO_DIR / "baseline.yaml")
    check = check_baseline(runs["baseline"], cal, baseline.assumptions.city_population)
    assert set(check["measure"]) == set(TOLERANCE)
    assert (check["measure"] == "residents").sum() >= 5 and (check["measure"] == "new_enterprises_per_year").sum() >= 5
    assert check["within"].all(), check[~check["within"]].to_string()
    assert runs["baseline"]["month"].max() == pd.Timestamp("2030-12-01").date()


def test_fdi_20_percent_above_trend_raises_jobs(runs):
    base, fdi = runs["baseline"], runs["fdi_plus_20"]
    assert _city_at(fdi, 2030, "jobs") > _city_at(base, 2030, "jobs")
    assert _city_at(fdi, 2030, "fdi_capital_usd") > _city_at(base, 2030, "fdi_capital_usd")
    before = base["month"] < pd.Timestamp("2026-01-01").date()
    pd.testing.assert_series_equal(base.loc[before, "jobs"], fdi.loc[before, "jobs"])


def test_metro_line_1_lowers_motorbike_trips_along_its_corridor(runs):
    base, metro = runs["baseline"], runs["metro_line_1"]
    corridor = set(load_scenario(SCENARIO_DIR / "metro_line_1.yaml").metro.wards)
    assert _city_at(metro, 2030, "motorbike_trips") < _city_at(base, 2030, "motorbike_trips")
    last = pd.Timestamp("2030-12-01").date()
    b = base[base["month"] == last].set_index("ward_code_2025")
    m = metro[metro["month"] == last].set_index("ward_code_2025")
    for ward in b.index:
        if ward in corridor:
            assert m.loc[ward, "motorbike_trips"] < b.loc[ward, "motorbike_trips"] and m.loc[ward, "metro_trips"] > 0
        else:
            assert m.loc[ward, "motorbike_trips"] == pytest.approx(b.loc[ward, "motorbike_trips"])
            assert m.loc[ward, "metro_trips"] == 0


def test_industrial_park_brings_jobs_to_its_ward(runs):
    park = load_scenario(SCENARIO_DIR / "industrial_park.yaml").industrial_park
    base, built = runs["baseline"], runs["industrial_park"]
    last = pd.Timestamp("2030-12-01").date()
    in_ward = lambda f: f[(f["month"] == last) & (f["ward_code_2025"] == park.ward)]["jobs"].item()  # noqa: E731
    assert in_ward(built) - in_ward(base) > 0.9 * park.jobs


@pytest.mark.parametrize(("text", "field"), [
    ("fdi:\n  multiplier: -1\n", "fdi.multiplier: Input should be greater than 0 (got -1)"),
    ("assumptions:\n  jobs_per_busines: 8\n", "assumptions.jobs_per_busines: Extra inputs are not permitted"),
    ("metro:\n  wards: ['26743']\n  motorbike_shift: 1.5\n  start_year: 2025\n  ramp_years: 3\n",
     "metro.motorbike_shift: Input should be less than or equal to 1 (got 1.5)"),
    ("name: Bad Name\n", "name: String should match pattern"),
])
def test_a_bad_scenario_file_names_the_field(tmp_path, text, field):
    shutil.copy(SCENARIO_DIR / "baseline.yaml", tmp_path / "baseline.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: baseline.yaml\nname: bad\ndescription: x\n" + text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    assert "bad.yaml" in str(err.value) and field in str(err.value)


def test_missing_fields_and_unknown_wards_are_named(tmp_path, cal):
    lone = tmp_path / "lone.yaml"
    lone.write_text("name: lone\ndescription: no assumptions\n")
    with pytest.raises(ScenarioError, match="assumptions: Field required"):
        load_scenario(lone)
    shutil.copy(SCENARIO_DIR / "baseline.yaml", tmp_path / "baseline.yaml")
    far = tmp_path / "far.yaml"
    far.write_text("extends: baseline.yaml\nname: far\ndescription: x\nmetro:\n  wards: ['26743', '99999']\n"
                   "  motorbike_shift: 0.1\n  start_year: 2027\n  ramp_years: 2\n")
    with pytest.raises(ScenarioError, match=r"metro\.wards\[1\]: unknown ward '99999'"):
        simulate(load_scenario(far), cal)


def test_results_carry_the_hash_of_their_exact_assumptions(tmp_path, cal):
    baseline = load_scenario(SCENARIO_DIR / "baseline.yaml")
    fdi = load_scenario(SCENARIO_DIR / "fdi_plus_20.yaml")
    # the same assumptions written out in full hash the same; one number changed does not
    full = tmp_path / "fdi_full.yaml"
    full.write_text(json.dumps(fdi.model_dump(mode="json")))
    assert load_scenario(full).content_hash == fdi.content_hash
    changed = fdi.model_copy(update={"fdi": fdi.fdi.model_copy(update={"multiplier": 1.21})})
    assert changed.content_hash != fdi.content_hash
    tables = run_scenarios([(SCENARIO_DIR / "baseline.yaml", baseline)], cal)
    runs_table = tables["runs"].to_pylist()[0]
    assert Scenario.model_validate_json(runs_table["assumptions_json"]).content_hash == runs_table["scenario_hash"]
    assert set(tables["ward_results"]["scenario_hash"].to_pylist()) == {baseline.content_hash}
    assert set(tables["ward_results"]["calibration_hash"].to_pylist()) == {cal.content_hash}
    assert tables["calibration_check"]["within"].to_pylist() == [True] * tables["calibration_check"].num_rows


def test_run_writes_results_beside_their_assumptions(tmp_path):
    from citylake import catalog, delta
    from citylake.settings import Settings

    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(SCENARIO_DIR / "baseline.yaml", folder / "baseline.yaml")
    (folder / "faster_fdi.yaml").write_text("extends: baseline.yaml\nname: faster_fdi\n"
                                            "description: FDI 50 % above trend from 2027\nfdi:\n"
                                            "  multiplier: 1.5\n  from_year: 2027\n")
    settings = Settings(run_dir=tmp_path / "run")
    run(settings, files=sorted(folder.glob("*.yaml")), marts=synthetic_marts())
    runs_table = delta.read_arrow(catalog.gold_uri(settings, "scenarios", "runs")).to_pandas()
    results = delta.read_arrow(catalog.gold_uri(settings, "scenarios", "ward_results")).to_pandas()
    assert sorted(runs_table["scenario"]) == ["baseline", "faster_fdi"]
    assert set(results["scenario_hash"]) == set(runs_table["scenario_hash"])
    faster = runs_table.set_index("scenario").loc["faster_fdi"]
    assert json.loads(faster["assumptions_json"])["fdi"] == {"multiplier": 1.5, "from_year": 2027.0}
    assert faster["file"] == "faster_fdi.yaml" and len(faster["model_hash"]) == 64
