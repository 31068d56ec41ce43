{#-
  Codes derived from other codes, written once for every model that needs them (int_graduates,
  int_vacancies, int_talent_match_counts, dim_major, mart_structure_alignment).
-#}

{#- GB/T 4754-2017 大类 (2 digits) of an industry code at any level. -#}
{% macro industry_division(industry_code) -%}
    substr({{ industry_code }}, 1, 2)
{%- endmacro %}

{#- 职业分类大典 2022 中类 (e.g. 6-22) of an occupation code. -#}
{% macro occupation_sub_major_group(occupation_code) -%}
    substr({{ occupation_code }}, 1, 4)
{%- endmacro %}

{#- 职业分类大典 2022 大类 (e.g. 6) of an occupation code. -#}
{% macro occupation_major_group(occupation_code) -%}
    split_part({{ occupation_code }}, '-', 1)
{%- endmacro %}

{#- The activity codes of a row (a graduate's employer, a posting), derived once: the industry's 大类
    (<industry_prefix>industry_division_code), the occupation (occupation_code) and its 中类
    (occupation_sub_major_group_code). -#}
{% macro activity_codes(industry_code, occupation_code, industry_prefix='') -%}
    {{ industry_division(industry_code) }} as {{ industry_prefix }}industry_division_code,
    {{ occupation_code }} as occupation_code,
    {{ occupation_sub_major_group(occupation_code) }} as occupation_sub_major_group_code
{%- endmacro %}

{#- Join dim_region_code_map as <alias>: the region code resolved to the code in force today. -#}
{% macro join_region(region_code, alias) -%}
    left join {{ ref('dim_region_code_map') }} as {{ alias }} on {{ region_code }} = {{ alias }}.region_code
{%- endmacro %}

{#- The three columns of a region resolved by join_region: <prefix>region_code (today's code),
    <prefix>prefecture_code and <prefix>province_code. -#}
{% macro region_columns(alias, prefix='') -%}
    {{ alias }}.current_region_code as {{ prefix }}region_code,
    {{ alias }}.prefecture_code as {{ prefix }}prefecture_code,
    {{ alias }}.province_code as {{ prefix }}province_code
{%- endmacro %}

{#- 专业大类 of a major code: its first two digits, as a number. -#}
{% macro major_division(major_code) -%}
    cast(substr({{ major_code }}, 1, 2) as integer)
{%- endmacro %}

{#- Join the level of a major (seeds/vocabulary/major_levels.csv) as <alias>; no row for a 大类 outside
    every level's range. -#}
{% macro join_major_level(major_code, alias) -%}
    left join {{ ref('major_levels') }} as {{ alias }}
        on {{ major_division(major_code) }} between {{ alias }}.division_from and {{ alias }}.division_to
{%- endmacro %}

{#- The 高职专科 专业类 (4 digits) a major belongs to, at any level, through its level joined by
    join_major_level as <level>: the 大类 offset by the level's higher_offset (中职 and 职业本科 categories
    are the 高职 ones offset by ∓20); a code of no level keeps its own first four digits. -#}
{% macro higher_major_category(major_code, level) -%}
    coalesce(
        lpad(cast({{ major_division(major_code) }} + {{ level }}.higher_offset as string), 2, '0'),
        substr({{ major_code }}, 1, 2)
    ) || substr({{ major_code }}, 3, 2)
{%- endmacro %}

{#- The edition of the vocational major catalogue a major code belongs to, for a record of <level> in <year>
    (ingestion/major_editions.py: the same rules, with its reasons): '2021', 'higher_2015', 'secondary_2010',
    or null (valid in no edition). 61–69 at level higher is 2015's (2021 has them as 中职 大类); 51–59 at level
    higher is decided by a 专业类 that exists in one edition only, else by the year (2015's before the first
    year the 2021 catalogue could be used for the record kind: enrolment 2021, graduates 2022). <in_2021> and
    <in_2015>: whether the code's 专业类 is in major_category_higher / in the 2015 categories of
    major_code_correspondence (joined by the caller: no subquery, which Spark does not take in a CASE). -#}
{% macro major_edition(major_code, level, year, record_kind, in_2021, in_2015) -%}
    case
        when length({{ major_code }}) != 6 then null
        when {{ level }} = 'secondary' and {{ major_division(major_code) }} between 61 and 79 then '2021'
        when {{ level }} = 'secondary' and {{ major_division(major_code) }} between 1 and 19 then 'secondary_2010'
        when {{ level }} = 'bachelor' and {{ major_division(major_code) }} between 21 and 39 then '2021'
        when {{ level }} = 'higher' and {{ major_division(major_code) }} between 41 and 50 then '2021'
        when {{ level }} = 'higher' and {{ major_division(major_code) }} between 60 and 69 then 'higher_2015'
        when {{ level }} = 'higher' and {{ major_division(major_code) }} between 51 and 59 then
            case
                when {{ in_2021 }} and not {{ in_2015 }} then '2021'
                when {{ in_2015 }} and not {{ in_2021 }} then 'higher_2015'
                when {{ year }} < case when {{ record_kind }} = 'enrolment' then 2021 else 2022 end then 'higher_2015'
                else '2021'
            end
    end
{%- endmacro %}

{#- Join dim_major_code_map as <alias> for a record of <record_kind> ('enrolment' or 'graduates'): its
    edition, mapping path and the 2021 高职 专业类 it counts under. -#}
{% macro join_major_map(major_code, level, year, record_kind, alias) -%}
    left join {{ ref('dim_major_code_map') }} as {{ alias }}
        on
            {{ alias }}.record_kind = '{{ record_kind }}'
            and {{ major_code }} = {{ alias }}.major_code
            and {{ level }} = {{ alias }}.level
            and {{ year }} = {{ alias }}.year
{%- endmacro %}

{#- mart_graduate_flows' published grain for the origin or the employer (who): 'prefecture' in a home province
    (one of the provinces in `home_provinces`, a CTE of the calling model), else 'province'; null when the city
    is unknown. -#}
{% macro flow_region_level(who) -%}
    case
        when {{ who }}_prefecture_code is null then null
        when {{ who }}_province_code in (select h.province_code from home_provinces as h) then 'prefecture'
        else 'province'
    end
{%- endmacro %}

{#- the code at that grain: the city, or its province -#}
{% macro flow_region_code(who) -%}
    case {{ who }}_region_level
        when 'prefecture' then {{ who }}_prefecture_code
        when 'province' then {{ who }}_province_code
    end
{%- endmacro %}
