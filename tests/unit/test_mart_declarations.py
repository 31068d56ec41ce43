"""The published marts are declared once, in the dbt YAML beside each model (config.meta), and every
consumer (release, disclosure, quality suites, analyst docs) reads them from dbt's manifest."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
import yaml

from core.settings import REPO_ROOT
from transformation.marts import DeclarationError, declaration_of, declarations, ensure_manifest, published

PYTHON_ROOTS = (
    "core",
    "ingestion",
    "transformation",
    "quality",
    "publication",
    "serving",
    "orchestration",
    "devtools",
    "benchmarks",
    "tests",
)


def _listed_names(source: str, marts: set[str], tables: set[str]) -> list[tuple[int, list[str]]]:
    """Tuple, list and set literals in ``source`` that list published tables: three or more of the
    ``marts``, or five or more of the ``tables`` (a test naming the two models it rebuilt is not a list)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            named = [e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in tables]
            if len(set(named) & marts) >= 3 or len(set(named)) >= 5:
                found.append((node.lineno, named))
    return found


def test_the_scan_finds_a_hard_coded_list() -> None:
    marts = {"mart_a", "mart_b", "mart_c"}
    tables = {*marts, "dim_a", "dim_b", "dim_c"}
    assert _listed_names("X = ('mart_a', 'mart_b', 'mart_c')\n", marts, tables) == [
        (1, ["mart_a", "mart_b", "mart_c"])
    ]
    assert _listed_names(
        "for m in ['mart_b', 'dim_a', 'x', 'mart_a', 'dim_b', 'dim_c']: pass\n", marts, tables
    )
    assert not _listed_names(
        "X = {'mart_a': 1, 'mart_b': 2, 'mart_c': 3}\nY = ('mart_a', 'dim_a')\n", marts, tables
    )


def test_no_python_source_lists_the_published_tables() -> None:
    """The manifest is the only list: no tuple, list or set in the Python sources lists published tables."""
    tables = {d.name for d in published()}
    marts = {d.name for d in published() if d.is_mart}
    assert len(marts) >= 9 and len(tables) >= 15
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {named}"
        for root in PYTHON_ROOTS
        for path in sorted((REPO_ROOT / root).rglob("*.py"))
        for line, named in _listed_names(path.read_text(encoding="utf-8"), marts, tables)
    ]
    assert not offenders, "lists of published tables outside the dbt YAML:\n" + "\n".join(offenders)


def test_bespoke_rules_name_declared_marts() -> None:
    from quality.suites import BESPOKE

    marts = {d.name for d in declarations() if d.is_mart}
    assert {name for name, _, _ in BESPOKE} <= marts


def test_every_published_mart_declares_a_key_checks_and_a_disclosure_policy() -> None:
    marts = [d for d in published() if d.is_mart]
    assert len(marts) == 17
    for m in marts:
        assert m.key and m.disclosure is not None, m.name
        # a mart declares its counts of persons, or says it publishes none (disclosure: {counts: []}:
        # postings, contracts, output values): either way the disclosure key is written, never forgotten
        columns = {c.name for c in m.columns}
        assert "suppressed_columns" in columns, m.name
        assert set(m.key) <= columns, m.name


def test_a_declaration_naming_an_unknown_column_is_an_error() -> None:
    node = {
        "name": "mart_x",
        "schema": "marts",
        "config": {"meta": {"published": True, "key": ["k"], "checks": {"unit_interval": ["rate_typo"]}}},
        "columns": {"k": {"name": "k"}, "rate": {"name": "rate"}},
    }
    with pytest.raises(DeclarationError, match=r"mart_x.*rate_typo"):
        declaration_of(node)
    node["config"]["meta"]["checks"] = {"min_value": {"rate": "high"}}
    with pytest.raises(DeclarationError, match=r"mart_x: config.meta.checks.min_value.rate must be a number"):
        declaration_of(node)


def _copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "dbt_project"
    shutil.copytree(
        REPO_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    return project


def _unpublish(model_yml: Path) -> None:
    text = model_yml.read_text(encoding="utf-8")
    assert text.count("published: true") == 1
    model_yml.write_text(text.replace("published: true", "published: false"), encoding="utf-8")


def test_unpublishing_a_model_and_changing_a_threshold_reach_every_consumer(tmp_path: Path) -> None:
    """``published: false`` in one mart's YAML removes it from release, disclosure, suites and docs; a new
    value of a dbt var reaches the generated suite. A real ``dbt parse`` of a copy of the project."""
    from devtools.analyst_docs import analysts_markdown
    from publication.disclosure import policies
    from publication.release import published_tables
    from quality.suites import mart_suites

    project = _copy_project(tmp_path)
    _unpublish(project / "models" / "marts" / "mart_partner_scorecard.yml")
    _unpublish(project / "models" / "reference" / "dim_major.yml")
    settings = project / "dbt_project.yml"
    config = yaml.safe_load(settings.read_text(encoding="utf-8"))
    assert config["vars"]["shortage_min_headcount"] == 20
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            "shortage_min_headcount: 20", "shortage_min_headcount: 25"
        ),
        encoding="utf-8",
    )
    manifest = ensure_manifest(project)

    before = {t for _, t in published_tables()}
    after = {t for _, t in published_tables(manifest)}
    assert before - after == {"mart_partner_scorecard", "dim_major"}
    assert {p.table for p in policies()} - {p.table for p in policies(manifest)} == {"mart_partner_scorecard"}
    suites = {s.name: s for s in mart_suites(manifest=manifest)}
    assert "mart_partner_scorecard" not in suites and "mart_talent_match" in suites
    docs = analysts_markdown(manifest)
    assert "### `mart_partner_scorecard`" not in docs and "### `dim_major`" not in docs
    assert "### `mart_talent_match`" in docs

    minimum = {
        e.column: e.min_value
        for e, _ in suites["mart_shortage_industries"].expectations
        if type(e).__name__ == "ExpectColumnValuesToBeBetween"
    }
    assert minimum["vacancy_headcount"] == 25 and minimum["graduates_supplied"] == 5


def test_importing_the_suites_does_not_import_great_expectations() -> None:
    """Great Expectations is imported when a suite is built, not when quality.suites is imported."""
    import subprocess
    import sys

    code = "import sys, quality.suites; print('great_expectations' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_a_mart_without_counts_of_persons_gets_no_empty_disclosure_expectation() -> None:
    """mart_industry_structure declares ``counts: []``: its suite checks suppressed_columns is there and no
    expectation with an empty condition (which fails the gate with a SQL error)."""
    from quality.suites import disclosure_expectations
    from transformation.marts import DisclosurePolicy

    assert len(disclosure_expectations(DisclosurePolicy(), suppression_k=5)) == 1
    assert len(disclosure_expectations(DisclosurePolicy(counts=("n",)), suppression_k=5)) == 3
