"""The analyst notebooks run end to end against the shared warehouse (DuckDB SQL, Spark SQL)."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_duckdb_and_spark_notebooks():
    sources = [" ".join(c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code")
               for p in NOTEBOOKS]
    assert len(NOTEBOOKS) >= 2
    assert any("duckdb.connect" in s for s in sources) and any("spark.sql(" in s for s in sources)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_end_to_end(path, warehouse, tmp_path):
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
