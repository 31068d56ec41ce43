{{ config(severity='warn', meta={"dagster": {"ref": {"name": "int_graduates"}}}) }}
-- A school × major × level × grad_year delivered both as graduate microdata and as counts: int_graduates takes
-- the microdata and leaves the counted cells out (one delivery of the same graduates, not two). Reported, not
-- blocking: the office should retract one of them (tw retract FILE).
{{ counted_cells_left_out(
    ref('stg_graduate_destination_counts'), ref('stg_graduate_destinations'),
    {'grad_year': 'grad_year', 'school_code': 'school_code', 'major_code': 'major_code', 'level': 'level'},
    'graduates',
) }}
