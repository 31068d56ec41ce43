"""dbt models as Dagster assets (dagster-dbt); dbt tests become asset checks."""


import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.failpoints import failpoint
from orchestration.resources import WarehouseResource, dbt_project, ensure_dbt_manifest

ensure_dbt_manifest()


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: dict) -> str | None:  # type: ignore[override]
        path = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        return path[1] if len(path) > 2 else "transform"


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=Translator(), project=dbt_project)
def warehouse_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    warehouse.settings()  # exports the paths dbt reads
    for n, event in enumerate(dbt.cli(["build"], context=context).stream()):
        if n == 1:
            failpoint("dbt_build")
        yield event
