-- 合作企业记分卡: enterprise × year. Hires are graduates of that year whose employer_enterprise_id is the
-- enterprise; demand is the headcount of its postings that year. Only enterprises that hired a graduate as a
-- 校企合作 partner of the graduate's school in some year are listed.
with hires as (
    {{ enterprise_hires([
        'employer_enterprise_id as enterprise_id',
        'grad_year as year',
        'count(distinct school_code) filter (where employer_is_partner) as partner_schools',
    ]) }}
),

partners as (
    select distinct employer_enterprise_id as enterprise_id
    from {{ ref('int_graduates') }}
    where employer_is_partner and employer_enterprise_id is not null
),

demand_by_city as (
    -- the listed (partner) enterprises' postings only: aggregating every enterprise's was most of this
    -- model's time (at scale L 3.2 s instead of 1.1 s; 1,646 of 80,000 enterprises are partners)
    select
        enterprise_id,
        posted_year as year,
        prefecture_code,
        sum(headcount) as headcount,
        max(enterprise_name) as enterprise_name
    from {{ ref('int_vacancies') }}
    where enterprise_id in (select partners.enterprise_id from partners)
    group by all
),

demand as (
    -- an enterprise posting in several cities is placed where it posted the most headcount that year (ties: the
    -- lowest code), so the same inputs always give the same row
    select
        enterprise_id,
        year,
        {{ arg_max_by('enterprise_name', ['headcount', '-cast(prefecture_code as bigint)']) }} as enterprise_name,
        {{ arg_max_by('prefecture_code', ['headcount', '-cast(prefecture_code as bigint)']) }} as region_code,
        sum(headcount) as vacancy_headcount
    from demand_by_city
    group by all
),

activity as (
    -- 技术服务 and 社会培训 the enterprise received from any school
    {{ partnership_activity_of('enterprise_id') }}
),

published as (
    select
        h.*,
        d.enterprise_name,
        d.region_code,
        {{ safe_divide('h.hires_in_school_city', 'h.graduates_hired') }} as city_retention_rate,
        {{ safe_divide('h.employed_major_related', 'h.hires_fit_known') }} as major_fit_rate,
        coalesce(d.vacancy_headcount, 0) as vacancy_headcount,
        {{ safe_divide('h.graduates_hired', 'd.vacancy_headcount') }} as hires_per_vacancy,
        {{ partnership_activity_columns('a') }}
    from hires as h
    inner join partners using (enterprise_id)
    left join demand as d using (enterprise_id, year)
    left join activity as a on h.enterprise_id = a.enterprise_id and h.year = a.calendar_year
)

select {{ contract_columns('published') }}
from published
