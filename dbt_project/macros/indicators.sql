{#-
  Indicator building blocks. Every rate in the marts is computed through these macros, once.
  See docs/indicators.md for the formulas.
-#}

{#- numerator ÷ denominator; null when the denominator is 0 or null (never a division error). -#}
{% macro safe_divide(numerator, denominator) -%}
    case when coalesce({{ denominator }}, 0) = 0 then null
         else cast({{ numerator }} as double) / cast({{ denominator }} as double) end
{%- endmacro %}

{#- Each column's share of its sum over the rows of a window of the select (<window>, named in its `window`
    clause): `safe_divide(c, sum(c) over <window>) as <share>`, for each {column: share} of <shares>, in order. -#}
{% macro shares_over(window, shares) -%}
    {%- for column, share in shares.items() %}
    {{ safe_divide(column, "sum(" ~ column ~ ") over " ~ window) }} as {{ share }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Dissimilarity index between two distributions given as shares: ½ Σ |a − b| over categories. -#}
{% macro dissimilarity_index(share_a, share_b) -%}
    0.5 * sum(abs(coalesce({{ share_a }}, 0) - coalesce({{ share_b }}, 0)))
{%- endmacro %}

{#- A bridge weight (1/n for n industries or occupations of a 专业类) as a fixed-point decimal, so that sums
    of weights are exact integer arithmetic: a sum of doubles depends on the order DuckDB's threads add
    them in, and rounded to 4 places it flipped the last digit between two builds of the same data
    (found by the benchmark's floor comparison at scale M). 18 decimals: the error of a sum of a billion
    weights stays under 1e-9. -#}
{% macro exact_weight(weight) -%}
    cast({{ weight }} as decimal(38, 18))
{%- endmacro %}

{#- The survey round of a graduate-destination record (毕业去向落实率 is published per round, never pooled):
    'initial' (初次) when dated on or before the initial reference date of the graduation year (31 Aug), 'year_end'
    (年终) when dated after it and on or before the year-end reference date (31 Dec); null when later (no
    official rate). Reference dates: dbt vars survey_initial_reference, survey_year_end_reference [month, day]. -#}
{% macro survey_round(survey_date, grad_year) -%}
    {%- set initial = var('survey_initial_reference') -%}
    {%- set year_end = var('survey_year_end_reference') -%}
    case
        when {{ survey_date }} <= make_date({{ grad_year }}, {{ initial[0] }}, {{ initial[1] }}) then 'initial'
        when {{ survey_date }} <= make_date({{ grad_year }}, {{ year_end[0] }}, {{ year_end[1] }}) then 'year_end'
    end
{%- endmacro %}

{#- The counts of both survey rounds, as aggregates over rows of int_graduates (its round measures: a graduate
    without a record in a round, or a counted cell of another round, adds 0). -#}
{% macro placement_round_counts() -%}
    sum(graduates_initial_survey) as graduates_initial_survey,
    sum(placed_initial) as placed_initial,
    sum(graduates_year_end_survey) as graduates_year_end_survey,
    sum(placed_year_end) as placed_year_end
{%- endmacro %}

{#- The graduates of the rows of int_graduates (one per graduate, or a counted cell) that meet <condition>: 0,
    never null, where none does — what count(*) filter (where <condition>) is over one row per graduate. -#}
{% macro graduates_where(condition) -%}
    coalesce(sum(graduates) filter (where {{ condition }}), 0)
{%- endmacro %}

{#- 初次 / 年终毕业去向落实率 from placement_round_counts() of relation <alias>, each over the graduates surveyed
    in its round. -#}
{% macro placement_rates(alias) -%}
    {%- for round in ['initial', 'year_end'] %}
    {{ safe_divide(alias ~ '.placed_' ~ round, alias ~ '.graduates_' ~ round ~ '_survey') }}
        as {{ round }}_placement_rate{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The rows of int_graduates of a school in a known prefecture-level city with the survey-round counts and
    where an employed graduate works against the school's region (the flags school_region_counts counts),
    and `columns` besides: what mart_talent_outflow and mart_major_warning roll up by school region. -#}
{% macro graduates_by_school_region(columns=[]) -%}
    select
        school_prefecture_code,
        school_province_code,
        major_code,
        grad_year,
        is_employed,
        graduates,
        graduates_initial_survey,
        placed_initial,
        graduates_year_end_survey,
        placed_year_end,
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        employer_prefecture_code = school_prefecture_code as in_city,
        employer_province_code = school_province_code as in_province,
        employer_province_code <> school_province_code as outside_province,
        employer_province_code is null as region_unknown
    from {{ ref('int_graduates') }}
    where school_prefecture_code is not null
{%- endmacro %}

{#- The graduates of int_graduates (graduates > 0: no row of a survey round only) of schools in a known
    prefecture-level city, summed by <columns> (select-list items; one row per distinct value): the graduates
    whose school's city supplies them (int_talent_match_counts) or whose path it publishes (mart_graduate_flows).
    Both only sum graduates, so they are summed here, before a bridge spreads them or a path is classified:
    far fewer rows than graduates (thousands for the talent match; one per distinct path for the flows; at
    scale L: docs/performance.md). -#}
{% macro graduates_of_school_cities(columns) -%}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        sum(graduates) as graduates
    from {{ ref('int_graduates') }}
    where school_prefecture_code is not null and graduates > 0
    group by all
{%- endmacro %}

{#- The graduates of <relation> (rows of graduates_by_school_region) by school region (prefecture-level city and
    province: rollup(school_prefecture_code)) × major × graduation year, with `measures` (aggregate select
    expressions) after the key: the survey-round counts, the employed and where they work. At province level
    "the school's city" is any city of the province. mart_talent_outflow publishes these counts and
    mart_major_warning shares them: one macro, so the two tables mask them alike (the same counts, relations
    and key give the same masks). -#}
{% macro school_region_counts(relation, measures=[]) -%}
    select
        {{ rollup_level('school_prefecture_code', "'prefecture'", "'province'") }} as region_level,
        {{ rollup_code('school_prefecture_code', 'school_province_code') }} as region_code,
        major_code,
        grad_year,
        {%- for measure in measures %}
        {{ measure }},
        {%- endfor %}
        sum(graduates) as graduates,
        {{ placement_round_counts() }},
        {{ graduates_where('is_employed') }} as employed,
        case
            when grouping(school_prefecture_code) = 0
                then {{ graduates_where('is_employed and in_city') }}
            else {{ graduates_where('is_employed and in_province') }}
        end as employed_in_school_city,
        {{ graduates_where('is_employed and in_province') }} as employed_in_school_province,
        {{ graduates_where('is_employed and outside_province') }} as employed_outside_province,
        {{ graduates_where('is_employed and region_unknown') }} as employed_region_unknown
    from {{ relation }}
    -- two grouping sets: (prefecture, province, major, year) and (province, major, year)
    group by school_province_code, major_code, grad_year, rollup(school_prefecture_code)
{%- endmacro %}

{#- The published columns naming how supply was bridged to demand: the major→industry/occupation bridge
    version and the weighting rule (dbt vars bridge_version, weighting_rule). -#}
{% macro bridge_columns() -%}
    '{{ var("bridge_version") }}' as bridge_version,
    '{{ var("weighting_rule") }}' as weighting_rule
{%- endmacro %}

{#- The reasons of a warning level of mart_major_warning (relation l) as one string: <below_minimum> for a
    row below the minimum of graduates, else the <field> ('code' or 'text') of every reason whose condition
    ('fired') holds, in the order given, joined by <separator>. -#}
{% macro warning_reasons(reasons, field, separator, below_minimum) -%}
    case
        when l.below_minimum then '{{ below_minimum }}'
        else concat_ws(
            '{{ separator }}',
            {%- for reason in reasons %}
            case when {{ reason.fired }} then '{{ reason[field] }}' end{{ ',' if not loop.last }}
            {%- endfor %}
        )
    end
{%- endmacro %}
