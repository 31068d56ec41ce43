{#- Generic test: the model has exactly as many rows as `parent` (a one-to-one projection with lookups: no
    lookup matched twice, no row lost). With `unique` on the parent's key, it proves the key unique in the
    model as well, at the cost of two counts instead of a group-by over every key (int_vacancies at
    scale L: 0.3 s instead of 6.6 s). Fails with one row giving both counts. -#}
{% test one_row_per_row_of(model, parent) %}
select model_rows, parent_rows
from (select count(*) as model_rows from {{ model }}) as m
cross join (select count(*) as parent_rows from {{ parent }}) as p
where model_rows <> parent_rows
{% endtest %}
