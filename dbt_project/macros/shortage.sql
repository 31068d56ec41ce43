{#-
  The 紧缺人才目录 method, written once for both lists (mart_shortage_industries, mart_shortage_occupations;
  docs/indicators.md, Shortage lists). After the MOHRSS 最缺工 ranking: rows ordered by the gap between demand and
  supply (缺口数), with minimum volumes. A row is listed when, in its region (city or province) and year,
    graduates_supplied      >= var shortage_min_supply    (enough supply for a ratio; no smaller supply is listed,
                                                            so no listed row's supply is a small cell)
    vacancy_headcount       >= var shortage_min_headcount
    vacancies_per_graduate  >= var shortage_min_ratio
  shortage_gap = vacancy_headcount − graduates_supplied; shortage_rank 1 = the largest gap, ties broken by the
  higher ratio, then the lower code; shortage_level 'severe' when the ratio ≥ var shortage_severe_ratio.
  Demand with no or too little supply is not ranked here: it is the gap in the school offer (专业空白),
  mart_new_major_candidates.
-#}
{% macro shortage_list(match_model, level_column, level_value, code_column, name_column) -%}
with region_cells as (
    select
        region_level,
        region_code,
        region_name,
        year,
        {{ code_column }},
        {{ name_column }},
        vacancy_headcount,
        graduates_supplied,
        vacancies_per_graduate,
        vacancy_headcount - graduates_supplied as shortage_gap
    from {{ ref(match_model) }}
    where {{ level_column }} = '{{ level_value }}'
),

listed as (
    select *
    from region_cells
    where
        graduates_supplied >= {{ var('shortage_min_supply') }}
        and vacancy_headcount >= {{ var('shortage_min_headcount') }}
        and vacancies_per_graduate >= {{ var('shortage_min_ratio') }}
)

select
    cast(region_level as string) as region_level,
    cast(region_code as string) as region_code,
    cast(region_name as string) as region_name,
    cast(year as integer) as year,
    cast({{ code_column }} as string) as {{ code_column }},
    cast({{ name_column }} as string) as {{ name_column }},
    cast(row_number() over (
        partition by region_level, region_code, year
        order by shortage_gap desc, vacancies_per_graduate desc, {{ code_column }} asc
    ) as integer) as shortage_rank,
    cast(
        case when vacancies_per_graduate >= {{ var('shortage_severe_ratio') }} then 'severe' else 'shortage' end
        as string
    ) as shortage_level,
    cast(vacancy_headcount as bigint) as vacancy_headcount,
    cast(graduates_supplied as decimal(18, 4)) as graduates_supplied,
    cast(shortage_gap as decimal(18, 4)) as shortage_gap,
    cast(vacancies_per_graduate as double) as vacancies_per_graduate,
    cast(
        'graduates_supplied >= {{ var("shortage_min_supply") }} and vacancy_headcount >= '
        || '{{ var("shortage_min_headcount") }} and vacancy_headcount / graduates_supplied >= '
        || '{{ var("shortage_min_ratio") }}; ranked by vacancy_headcount - graduates_supplied' as string
    ) as listing_rule,
    cast('{{ var("bridge_version") }}' as string) as bridge_version,
    cast('{{ var("weighting_rule") }}' as string) as weighting_rule,
    {{ suppressed_columns() }}
from listed
{%- endmacro %}
