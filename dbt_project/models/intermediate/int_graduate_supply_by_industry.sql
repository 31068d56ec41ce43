-- Graduate supply spread over industries through the major→industry bridge:
-- supply(region, industry, year) = Σ over graduates of schools in the region of weight(专业类 → industry).
-- With the equal_split rule each graduate adds up to exactly 1 across industries.
select
    g.school_prefecture_code          as region_code,
    b.industry_code,
    g.grad_year                       as year,
    sum(b.weight)                     as graduates_supplied,
    b.mapping_version                 as bridge_version,
    b.weighting_rule
from {{ ref('int_graduates') }} g
join {{ ref('bridge_major_industry') }} b
    on b.higher_major_category_code = g.higher_major_category_code
where g.school_prefecture_code is not null
group by all
