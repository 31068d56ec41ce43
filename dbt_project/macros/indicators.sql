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
            then lpad(cast(cast(substr({{ major_code }}, 1, 2) as integer) - 20 as varchar), 2, '0') || substr({{ major_code }}, 3, 2)
        when cast(substr({{ major_code }}, 1, 2) as integer) between 21 and 39
            then lpad(cast(cast(substr({{ major_code }}, 1, 2) as integer) + 20 as varchar), 2, '0') || substr({{ major_code }}, 3, 2)
        else substr({{ major_code }}, 1, 4)
    end
{%- endmacro %}
