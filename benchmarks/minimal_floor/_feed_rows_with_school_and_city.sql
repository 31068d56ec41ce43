-- Helper (inlined where it is named): the from clause of a list published row by row from a school's feed: the
-- latest deliveries of {feed} as t, the place they give resolved to today's prefecture-level city as place, its
-- name as r, and the school's name as s.
from {feed} t
left join region_map place      on place.region_code = t.region_code
left join school_names s        on s.school_code = t.school_code
left join {seeds}.ref_region r  on r.region_code = place.prefecture_code
