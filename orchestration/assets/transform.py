"""dbt models as Dagster assets (dagster-dbt); dbt tests become asset checks.

Each run builds only what its inputs require (transformation/build_plan.py): everything after a code
change, the models downstream of the feeds that changed otherwise, nothing when nothing changed. Models
left alone are reported as materialized with ``refresh: unchanged`` (their tables already hold what a
rebuild would give), so the release steps downstream run as usual.
"""

import json
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, dbt_assets

from core.failpoints import failpoint
from orchestration.resources import (
    Warehouse,
    WarehouseDbtResource,
    dbt_project,
    keep_partial_parse,
    retire_invocation_target,
)
from transformation.build_plan import (
    current_inputs,
    dbt_build_args,
    dbt_build_env,
    load_state,
    plan_build,
    save_state,
    unchanged_nodes,
)


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: dict) -> str | None:  # type: ignore[override]
        path = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        return path[1] if len(path) > 2 else "transform"


def build_dbt_assets() -> dg.AssetsDefinition:
    """The dbt models as one multi-asset, from dbt's manifest (orchestration/resources.py:
    ``ensure_dbt_manifest`` parses the project first when the manifest is missing or stale)."""

    @dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=Translator(), project=dbt_project)
    def warehouse_dbt_assets(
        context: dg.AssetExecutionContext,
        dbt: WarehouseDbtResource,
        warehouse: dg.ResourceParam[Warehouse],
    ) -> Iterator[Any]:
        s = warehouse.settings
        inputs = current_inputs(s)
        plan = plan_build(
            load_state(s),
            inputs,
            build_db_exists=s.build_exists,
            force_full=warehouse.full_refresh,
            incremental_supported=not s.builds_on_spark,
        )
        context.log.info(plan.describe())
        manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
        # what the plan leaves alone first (parents before children: Dagster wants a multi-asset's outputs
        # in topological order, and nothing left alone depends on a rebuilt model)
        translator = Translator()
        for uid in unchanged_nodes(plan, manifest):
            key = translator.get_asset_key(manifest["nodes"][uid])
            if key in context.selected_asset_keys:
                yield dg.Output(
                    None,
                    output_name=context.assets_def.get_output_name_for_asset_key(key),
                    metadata={"refresh": "unchanged", "build_plan": plan.describe()},
                )
        args = dbt_build_args(plan, manifest)
        if args is not None:
            invocation = dbt.cli(args, context=context, env=dbt_build_env(plan))
            for n, event in enumerate(invocation.stream()):
                if n == 1:
                    failpoint("dbt_build", s.failpoints)
                yield event
        if not context.is_subset:  # a subset (chosen in Dagster's UI) did not build all a plan asked for
            save_state(s, inputs)
        if args is not None:
            keep_partial_parse(invocation.target_path)
            retire_invocation_target(invocation.target_path, s.logs_dir)

    return warehouse_dbt_assets
