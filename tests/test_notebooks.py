"""The analyst notebooks run end to end: against the shared warehouse (DuckDB SQL, Spark SQL), and the
simulation and forecasting centre's against its published gold tables (forecasts, scenarios, sites)."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ALL_NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
CENTRE_NOTEBOOKS = [p for p in ALL_NOTEBOOKS if "_centre_" in p.stem]
NOTEBOOKS = [p for p in ALL_NOTEBOOKS if p not in CENTRE_NOTEBOOKS]


def test_there_are_duckdb_and_spark_notebooks():
    sources = [" ".join(c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code")
               for p in NOTEBOOKS]
    assert len(NOTEBOOKS) >= 2
    assert any("duckdb.connect" in s for s in sources) and any("spark.sql(" in s for s in sources)


def test_there_is_a_notebook_per_capability_of_the_centre():
    sources = {p.stem: " ".join(c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code")
               for p in CENTRE_NOTEBOOKS}
    for domain in ("forecasting", "scenarios", "siting"):
        assert any(f'gold("{domain}"' in s for s in sources.values()), domain
    assert all('pio.renderers.default = "plotly_mimetype"' in s for s in sources.values())


def _execute(path: Path, tmp_path: Path) -> list:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # every analysis cell produced a result (a table or a chart), not just ran
    results = [o for o in outputs if o.output_type in ("execute_result", "display_data")]
    assert len(results) >= 4
    assert any("text/html" in o.get("data", {}) for o in results)
    nbformat.write(notebook, tmp_path / path.name)  # the executed copy, for a look when it fails
    return results


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_end_to_end(path, warehouse, tmp_path):
    _execute(path, tmp_path)


@pytest.fixture(scope="module")
def centre_answers(centre):
    from centre_warehouse import ensure_answers

    ensure_answers(centre)
    return centre


@pytest.mark.parametrize("path", CENTRE_NOTEBOOKS, ids=lambda p: p.stem)
def test_centre_notebook_runs_end_to_end(path, centre_answers, tmp_path):
    results = _execute(path, tmp_path)
    # the charts are plotly figures for JupyterLab's renderer, drawn offline
    assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in results)
