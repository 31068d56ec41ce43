{#- Generic test: every parent row of a roll-up equals the sum of its children, for every additive count.
    The model's rows whose level_column is `child` are summed into parents: code_column mapped to the
    parent's code through `parent_codes` ({relation: a model, code: its child code column, parent: its
    parent code column}), the other key columns (`by`) kept. The sums are compared with the model's rows
    whose level_column is `parent`. Fails with a parent without children, children without a parent, or a
    count (of `counts`; null counts 0) that differs from the sum by more than `tolerance`. `where`
    restricts the rows of both sides (one classification, one level of another hierarchy). -#}
{% test rollups_add_up(
    model, level_column, child, parent, code_column, parent_codes, by, counts, tolerance=0, where='true'
) %}
{%- set key = by + [code_column] -%}
with rows_in_scope as (
    select * from {{ model }}
    where {{ where }}
),

summed_children as (
    select
        {%- for column in by %}
        c.{{ column }},
        {%- endfor %}
        p.{{ parent_codes.parent }} as {{ code_column }},
        {%- for count in counts %}
        coalesce(sum(c.{{ count }}), 0) as {{ count }}{{ ',' if not loop.last }}
        {%- endfor %}
    from rows_in_scope as c
    inner join {{ ref(parent_codes.relation) }} as p on c.{{ code_column }} = p.{{ parent_codes.code }}
    where c.{{ level_column }} = '{{ child }}'
    group by all
),

parents as (
    select
        {%- for column in key %}
        {{ column }},
        {%- endfor %}
        {%- for count in counts %}
        coalesce({{ count }}, 0) as {{ count }}{{ ',' if not loop.last }}
        {%- endfor %}
    from rows_in_scope
    where {{ level_column }} = '{{ parent }}'
)

select
    {%- for column in key %}
    {{ column }},
    {%- endfor %}
    {%- for count in counts %}
    summed_children.{{ count }} as summed_{{ count }},
    parents.{{ count }}{{ ',' if not loop.last }}
    {%- endfor %}
from summed_children
full join parents using ({{ key | join(', ') }})
where
    summed_children.{{ code_column }} is null or parents.{{ code_column }} is null
    {%- for count in counts %}
    or abs(summed_children.{{ count }} - parents.{{ count }}) > {{ tolerance }}
    {%- endfor %}
{% endtest %}
