{#- 人才供需匹配 of one classification of int_talent_match_counts, as published by mart_talent_match
    (classification 'industry') and mart_talent_match_occupation ('occupation'): region × code × year, a cell
    without supply, demand or employment counting 0, the ratios defined here, once. The columns are named
    after the classification (<classification>_level, <classification>_code, <classification>_name from
    dim_<classification>, graduates_employed_in_<classification>); region_attributes (from dim_region) and
    code_attributes (from dim_<classification>) are published after the region's and the code's name;
    with_postings publishes vacancy_postings. vacancies_per_graduate is 0 where there is supply and no posting,
    null only where there is no supply. job_vacancy_ratio is the MOHRSS 求人倍率 (需求人数 ÷ 求职人数) over the
    counted cells that delivered job seekers (vacancy_counts), null where none did (job_seekers 0).
    The row of code var unmapped_code (at both code levels) holds the supply the bridge cannot place: its name
    says so, each code attribute is the unmapped code too (its own parent), and vacancies_per_graduate is null
    (no demand is ever classified there). -#}
{% macro talent_match_mart(classification, region_attributes=[], code_attributes=[], with_postings=false) -%}
{%- set c = classification -%}
{%- set is_unmapped = "counts.code = '" ~ var('unmapped_code') ~ "'" -%}
with counts as (
    select
        region_level,
        region_code,
        code_level,
        code,
        year,
        coalesce(graduates_supplied, 0) as graduates_supplied,
        coalesce(vacancy_headcount, 0) as vacancy_headcount,
        coalesce(vacancy_postings, 0) as vacancy_postings,
        coalesce(job_seekers, 0) as job_seekers,
        coalesce(vacancies_with_job_seekers, 0) as vacancies_with_job_seekers,
        coalesce(graduates_employed, 0) as graduates_employed,
        coalesce(employed_fit_known, 0) as employed_fit_known,
        coalesce(employed_major_related, 0) as employed_major_related
    from {{ ref('int_talent_match_counts') }}
    where classification = '{{ c }}'
),

published as (
    select
        counts.region_level,
        counts.region_code,
        r.region_name,
        {%- for attribute in region_attributes %}
        r.{{ attribute }},
        {%- endfor %}
        counts.code_level as {{ c }}_level,
        counts.code as {{ c }}_code,
        case when {{ is_unmapped }} then '{{ unmapped_name(c) }}' else d.{{ c }}_name end as {{ c }}_name,
        {%- for attribute in code_attributes %}
        case when {{ is_unmapped }} then counts.code else d.{{ attribute }} end as {{ attribute }},
        {%- endfor %}
        counts.year,
        round(counts.graduates_supplied, 4) as graduates_supplied,
        counts.vacancy_headcount,
        {%- if with_postings %}
        counts.vacancy_postings,
        {%- endif %}
        case
            when not {{ is_unmapped }}
                then {{ safe_divide('counts.vacancy_headcount', 'round(counts.graduates_supplied, 4)') }}
        end as vacancies_per_graduate,
        counts.job_seekers,
        counts.vacancies_with_job_seekers,
        {{ safe_divide('counts.vacancies_with_job_seekers', 'counts.job_seekers') }} as job_vacancy_ratio,
        counts.graduates_employed as graduates_employed_in_{{ c }},
        counts.employed_major_related,
        {{ safe_divide('counts.employed_major_related', 'counts.employed_fit_known') }} as major_fit_rate,
        {{ bridge_columns() }}
    from counts
    left join {{ ref('dim_region') }} as r on counts.region_code = r.region_code
    left join {{ ref('dim_' ~ c) }} as d on counts.code = d.{{ c }}_code
)

select {{ contract_columns('published') }}
from published
{%- endmacro %}


{#- The name of the unmapped row of a classification (var unmapped_code), Chinese and English. -#}
{% macro unmapped_name(classification) -%}
    {%- if classification == 'industry' -%}
    未能对应行业的毕业生 (graduates the major→industry bridge cannot place)
    {%- else -%}
    未能对应职业的毕业生 (graduates the major→occupation bridge cannot place)
    {%- endif -%}
{%- endmacro %}
