{#- Schools and their partnership activity, written once for the marts that list or sum them. -#}

{#- One row per school with its name (min(): deterministic if a school reports two names). -#}
{% macro school_names() -%}
    select
        school_code,
        min(school_name) as school_name
    from {{ ref('stg_enrolment') }}
    group by all
{%- endmacro %}


{#- The from clause of a list that publishes a school's feed row by row (mart_technical_services,
    mart_training_resources): the rows of <feed> as t, the place they give resolved to today's code as place
    (join_region), the prefecture-level city's name as r and the school's name as s (school_names). -#}
{% macro feed_rows_with_school_and_city(feed) -%}
from {{ ref(feed) }} as t
{{ join_region('t.region_code', 'place') }}
left join ({{ school_names() }}) as s on t.school_code = s.school_code
left join {{ ref('dim_region') }} as r on place.prefecture_code = r.region_code
{%- endmacro %}

{#- 技术服务 and 社会培训 by <party> (school_code or enterprise_id: any school or enterprise on the other side,
    and for a school the courses open to all) × calendar_year of the projects' and courses' start_date, summed
    from int_partnership_activity, the one place they are computed. -#}
{% macro partnership_activity_of(party) -%}
    select
        {{ party }},
        calendar_year,
        sum(service_projects) as service_projects,
        sum(technical_service_value_10k_cny) as technical_service_value_10k_cny,
        sum(training_courses) as training_courses,
        sum(training_person_times) as training_person_times,
        sum(certificates_awarded) as certificates_awarded
    from {{ ref('int_partnership_activity') }}
    where {{ party }} is not null
    group by {{ party }}, calendar_year
{%- endmacro %}

{#- The published partnership-activity columns, 0 where a row has none: the projects' measures of relation
    <services>, the courses' of <trainings> (the same relation unless given: partnership_activity_of). -#}
{% macro partnership_activity_columns(services, trainings=none) -%}
    {%- set trainings = trainings or services -%}
    cast(coalesce({{ services }}.service_projects, 0) as bigint) as service_projects,
    cast(coalesce({{ services }}.technical_service_value_10k_cny, 0) as double) as technical_service_value_10k_cny,
    cast(coalesce({{ trainings }}.training_courses, 0) as bigint) as training_courses,
    cast(coalesce({{ trainings }}.training_person_times, 0) as bigint) as training_person_times,
    cast(coalesce({{ trainings }}.certificates_awarded, 0) as bigint) as certificates_awarded
{%- endmacro %}


{#- The graduates an enterprise hired (employed, employer_enterprise_id known) from int_graduates, one row per
    value of <columns> (the model's grain, e.g. 'employer_enterprise_id as enterprise_id', 'grad_year as year',
    then any measure of its own): hired, of them as a partner of their school, employed in their school's city
    (本地就业), of known and of related fit (岗位适配), from order classes and apprenticeships. -#}
{% macro enterprise_hires(columns) -%}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        sum(graduates) as graduates_hired,
        {{ graduates_where('employer_is_partner') }} as partner_hires,
        {{ graduates_where('employer_prefecture_code = school_prefecture_code') }} as hires_in_school_city,
        {{ graduates_where('major_related is not null') }} as hires_fit_known,
        {{ graduates_where('major_related') }} as employed_major_related,
        {{ graduates_where('order_class') }} as order_class_hires,
        {{ graduates_where('apprenticeship') }} as apprenticeship_hires
    from {{ ref('int_graduates') }}
    where is_employed and employer_enterprise_id is not null
    group by all
{%- endmacro %}
