-- 专业结构与产业结构匹配度: per prefecture-level city and year, how far the industry mix of enrolment (students
-- on roll spread over industries through the major→industry bridge) is from the industry mix of output value
-- and of employment, both at GB/T 4754 门类 level. dissimilarity = ½ Σ |enrolment share − output share|;
-- alignment = 1 − dissimilarity (1 = same mix, 0 = no overlap).
with enrolment as (
    select
        r.prefecture_code as region_code,
        e.year,
        i.section_code,
        sum(e.enrolled_total * {{ exact_weight("b.weight") }}) as enrolled
    from {{ ref('stg_enrolment') }} as e
    inner join {{ ref('dim_region_code_map') }} as r on e.school_region_code = r.region_code
    {{ join_major_map('e.major_code', 'e.level', 'e.year', 'enrolment', 'major_map') }}
    inner join
        {{ ref('bridge_major_industry') }} as b
        on major_map.higher_major_category_code = b.higher_major_category_code
    inner join {{ ref('dim_industry') }} as i on b.industry_code = i.industry_code
    where r.prefecture_code is not null
    group by all
),

output as (
    -- annual periods only; industry given as 门类 letter or 大类 digits
    select
        r.prefecture_code as region_code,
        cast(o.period as integer) as year,
        i.section_code,
        sum(o.output_value_100m_cny) as output_value,
        sum(o.employment_10k) as employment
    from {{ ref('stg_industry_output') }} as o
    inner join {{ ref('dim_region_code_map') }} as r on o.region_code = r.region_code
    inner join {{ ref('dim_industry') }} as i on o.industry_code = i.industry_code
    where length(o.period) = 4 and r.prefecture_code is not null
    group by all
),

joined as (
    select
        coalesce(e.region_code, o.region_code) as region_code,
        coalesce(e.year, o.year) as year,
        coalesce(e.section_code, o.section_code) as section_code,
        coalesce(e.enrolled, 0) as enrolled,
        coalesce(o.output_value, 0) as output_value,
        coalesce(o.employment, 0) as employment
    from enrolment as e
    full join output as o using (region_code, year, section_code)
),

shares as (
    select
        *,
        {{ safe_divide("enrolled", "sum(enrolled) over w") }} as enrolment_share,
        {{ safe_divide("output_value", "sum(output_value) over w") }} as output_share,
        {{ safe_divide("employment", "sum(employment) over w") }} as employment_share
    from joined
    window w as (partition by region_code, year)
),

indices as (
    select
        region_code,
        year,
        sum(enrolled) as enrolled,
        sum(output_value) as output_value,
        sum(employment) as employment,
        count(*) as sections_compared,
        bool_or(enrolment_share is not null) and bool_or(output_share is not null) as output_comparable,
        bool_or(enrolment_share is not null) and bool_or(employment_share is not null) as employment_comparable,
        {{ dissimilarity_index('enrolment_share', 'output_share') }} as output_dissimilarity,
        {{ dissimilarity_index('enrolment_share', 'employment_share') }} as employment_dissimilarity
    from shares
    group by all
)

select
    cast(x.region_code as string) as region_code,
    cast(r.region_name as string) as region_name,
    cast(x.year as integer) as year,
    cast(round(x.enrolled, 4) as decimal(18, 4)) as enrolled_total,
    cast(x.output_value as double) as output_value_100m_cny,
    cast(x.employment as double) as employment_10k,
    cast(x.sections_compared as integer) as sections_compared,
    cast(case when x.output_comparable then x.output_dissimilarity end as double) as output_dissimilarity_index,
    cast(case when x.output_comparable then 1 - x.output_dissimilarity end as double) as output_alignment_index,
    cast(case when x.employment_comparable then x.employment_dissimilarity end as double)
        as employment_dissimilarity_index,
    cast(case when x.employment_comparable then 1 - x.employment_dissimilarity end as double)
        as employment_alignment_index,
    cast('{{ var("bridge_version") }}' as string) as bridge_version,
    cast('{{ var("weighting_rule") }}' as string) as weighting_rule,
    {{ suppressed_columns() }}
from indices as x
left join {{ ref('dim_region') }} as r on x.region_code = r.region_code
