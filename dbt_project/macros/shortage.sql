{#-
  The 紧缺人才目录 method, written once for both lists (mart_shortage_industries, mart_shortage_occupations;
  docs/indicators.md, Shortage lists). After the MOHRSS 最缺工 ranking (《全国招聘大于求职"最缺工"的100个职业排行》:
  occupations ordered by the gap 招聘需求人数 − 求职人数, 缺口数), with minimum volumes.

  Graduate-supply rule (ranking_basis 'graduates_supplied'; every industry row, and every occupation row without
  job seekers): a row is listed when, in its region (city or province) and year,
    graduates_supplied      >= var shortage_min_supply    (enough supply for a ratio; no smaller supply is listed,
                                                            so no listed row's supply is a small cell)
    vacancy_headcount       >= var shortage_min_headcount
    vacancies_per_graduate  >= var shortage_min_ratio
  gap shortage_gap = vacancy_headcount − graduates_supplied, ratio vacancies_per_graduate.

  Job-seeker rule (ranking_basis 'job_seekers'; with_job_seekers, the occupation list only): a row whose cell
  delivers job seekers (求职人数: a vacancy_counts table of the public employment service; job_seekers > 0 or
  vacancies_with_job_seekers > 0 in the talent match) is ranked as MOHRSS ranks, over the counted cells that
  give both figures, and never by the graduate rule. Listed when
    job_seekers                 >= var shortage_min_job_seekers
    vacancies_with_job_seekers  >= var shortage_min_headcount
    vacancies_with_job_seekers  >  job_seekers               (招聘大于求职, the official list's own criterion)
  gap job_seeker_gap = vacancies_with_job_seekers − job_seekers, ratio job_vacancy_ratio (求人倍率). Such a row
  also carries its graduate figures (graduates_supplied, shortage_gap, vacancies_per_graduate: the talent-match
  cell's, for comparison, not its ranking key); a graduate-rule row carries job_seekers and
  vacancies_with_job_seekers 0 (none delivered, as in the talent match) and null job_seeker_gap and
  job_vacancy_ratio. Counts are never null here: a published NULL count means masked.

  shortage_rank: within region, year and ranking_basis (the two gaps are not comparable), 1 = the largest gap,
  ties broken by the higher ratio, then the lower code. The order is taken on the published figures (the gap to
  4 decimals, the ratio to 6), not on the doubles behind them: bridge-weighted supplies are sums of doubles whose
  last bits depend on the engine's summation order (DuckDB and Spark differ), and two industries whose gaps are
  equal as published would otherwise swap ranks between builds; shortage_level 'severe' when the ratio ≥ var
  shortage_severe_ratio. Demand with no or too little graduate supply is not ranked by the graduate rule: it is
  the gap in the school offer (专业空白), mart_new_major_candidates.
-#}
{% macro shortage_list(match_model, level_column, level_value, code_column, name_column, with_job_seekers=false) -%}
{%- set cell = ['region_level', 'region_code', 'region_name', 'year', code_column, name_column] | join(',\n        ') %}
with region_cells as (
    select
        {{ cell }},
        vacancy_headcount,
        graduates_supplied,
        vacancies_per_graduate,
        vacancy_headcount - graduates_supplied as shortage_gap,
        {%- if with_job_seekers %}
        job_seekers,
        vacancies_with_job_seekers,
        job_vacancy_ratio,
        coalesce(job_seekers > 0 or vacancies_with_job_seekers > 0, false) as has_job_seekers
        {%- else %}
        false as has_job_seekers
        {%- endif %}
    from {{ ref(match_model) }}
    where {{ level_column }} = '{{ level_value }}'
),

listed as (
    select
        {{ cell }},
        'graduates_supplied' as ranking_basis,
        vacancy_headcount,
        graduates_supplied,
        shortage_gap,
        vacancies_per_graduate,
        {%- if with_job_seekers %}
        coalesce(job_seekers, 0) as job_seekers,
        coalesce(vacancies_with_job_seekers, 0) as vacancies_with_job_seekers,
        {%- else %}
        cast(null as bigint) as job_seekers,
        cast(null as bigint) as vacancies_with_job_seekers,
        {%- endif %}
        cast(null as bigint) as job_seeker_gap,
        cast(null as double) as job_vacancy_ratio,
        shortage_gap as ranking_gap,
        vacancies_per_graduate as ranking_ratio
    from region_cells
    where
        not has_job_seekers
        and graduates_supplied >= {{ var('shortage_min_supply') }}
        and vacancy_headcount >= {{ var('shortage_min_headcount') }}
        and vacancies_per_graduate >= {{ var('shortage_min_ratio') }}
    {%- if with_job_seekers %}
    union all
    select
        {{ cell }},
        'job_seekers' as ranking_basis,
        vacancy_headcount,
        graduates_supplied,
        shortage_gap,
        vacancies_per_graduate,
        job_seekers,
        vacancies_with_job_seekers,
        vacancies_with_job_seekers - job_seekers as job_seeker_gap,
        job_vacancy_ratio,
        vacancies_with_job_seekers - job_seekers as ranking_gap,
        job_vacancy_ratio as ranking_ratio
    from region_cells
    where
        has_job_seekers
        and job_seekers >= {{ var('shortage_min_job_seekers') }}
        and vacancies_with_job_seekers >= {{ var('shortage_min_headcount') }}
        and vacancies_with_job_seekers > job_seekers
    {%- endif %}
),

published as (
    select
        *,
        row_number() over (
            partition by region_level, region_code, year, ranking_basis
            order by
                cast(ranking_gap as decimal(18, 4)) desc,
                round(ranking_ratio, 6) desc,
                {{ code_column }} asc
        ) as shortage_rank,
        case when ranking_ratio >= {{ var('shortage_severe_ratio') }} then 'severe' else 'shortage' end
            as shortage_level,
        case ranking_basis
            when 'job_seekers' then
                'job_seekers >= {{ var("shortage_min_job_seekers") }} and vacancies_with_job_seekers >= '
                || '{{ var("shortage_min_headcount") }} and vacancies_with_job_seekers > job_seekers; ranked by '
                || 'vacancies_with_job_seekers - job_seekers (MOHRSS 最缺工), ties by job_vacancy_ratio, then code'
            else
                'graduates_supplied >= {{ var("shortage_min_supply") }} and vacancy_headcount >= '
                || '{{ var("shortage_min_headcount") }} and vacancy_headcount / graduates_supplied >= '
                || '{{ var("shortage_min_ratio") }}; ranked by vacancy_headcount - graduates_supplied'
                {%- if with_job_seekers %} || ' (no job seekers delivered)'{% endif %}
        end as listing_rule,
        {{ bridge_columns() }}
    from listed
)

select {{ contract_columns('published') }}
from published
{%- endmacro %}
