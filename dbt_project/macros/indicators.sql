{#-
  Indicator building blocks. Every rate in the marts is computed through these macros, once.
  See docs/indicators.md for the formulas.
-#}

{#- numerator ÷ denominator; null when the denominator is 0 or null (never a division error). -#}
{% macro safe_divide(numerator, denominator) -%}
    case when coalesce({{ denominator }}, 0) = 0 then null
         else cast({{ numerator }} as double) / cast({{ denominator }} as double) end
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

{#- The published columns of both rounds from placement_round_counts() of relation <alias>: the counts and
    初次 / 年终毕业去向落实率, each over the graduates surveyed in its round. -#}
{% macro placement_round_columns(alias) -%}
    {%- for round in ['initial', 'year_end'] %}
    cast({{ alias }}.graduates_{{ round }}_survey as bigint) as graduates_{{ round }}_survey,
    cast({{ alias }}.placed_{{ round }} as bigint) as placed_{{ round }},
    cast({{ safe_divide(alias ~ '.placed_' ~ round, alias ~ '.graduates_' ~ round ~ '_survey') }} as double)
        as {{ round }}_placement_rate{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
