{#-
  Indicator building blocks. Every rate in the marts is computed through these macros, once.
  See docs/indicators.md for the formulas.
-#}

{#- numerator ÷ denominator; null when the denominator is 0 or null (never a division error). -#}
{% macro safe_divide(numerator, denominator) -%}
    case when coalesce({{ denominator }}, 0) = 0 then null
         else cast({{ numerator }} as double) / cast({{ denominator }} as double) end
{%- endmacro %}

{#- A graduate counts as employed (就业) in these destination types. -#}
{% macro is_employed(destination_type) -%}
    ({{ destination_type }} in ('employed_contract', 'employed_flexible', 'self_employed'))
{%- endmacro %}

{#- The 高职专科 专业类 (4 digits) a major belongs to, at any level:
    中职 大类 61–79 and 职业本科 21–39 are the 高职 41–59 offset by ±20. -#}
{% macro higher_major_category(major_code) -%}
    case
        when cast(substr({{ major_code }}, 1, 2) as integer) between 61 and 79
            then lpad(cast(cast(substr({{ major_code }}, 1, 2) as integer) - 20 as string), 2, '0') || substr({{ major_code }}, 3, 2)
        when cast(substr({{ major_code }}, 1, 2) as integer) between 21 and 39
            then lpad(cast(cast(substr({{ major_code }}, 1, 2) as integer) + 20 as string), 2, '0') || substr({{ major_code }}, 3, 2)
        else substr({{ major_code }}, 1, 4)
    end
{%- endmacro %}

{#- 毕业去向落实: every destination except 待就业 (not_employed) and 暂不就业 (not_seeking),
    as the Ministry of Education counts placement (协议和合同就业, 灵活就业, 自主创业, 升学, 应征入伍). -#}
{% macro is_placed(destination_type) -%}
    ({{ destination_type }} in ('employed_contract', 'employed_flexible', 'self_employed', 'further_study', 'enlisted'))
{%- endmacro %}

{#- The smoothed shortage index used for the 紧缺人才目录: demand ÷ (supply + 1), defined when supply is 0. -#}
{% macro shortage_index(demand, supply) -%}
    cast({{ demand }} as double) / (cast({{ supply }} as double) + 1.0)
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
