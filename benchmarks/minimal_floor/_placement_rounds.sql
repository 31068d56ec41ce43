-- Helper (inlined where it is named): the counts of both survey rounds over graduates (a null flag: the graduate
-- has no record in that round).
count(*) filter (where initial_is_placed is not null) as graduates_initial_survey,
count(*) filter (where initial_is_placed)             as placed_initial,
count(*) filter (where year_end_is_placed is not null) as graduates_year_end_survey,
count(*) filter (where year_end_is_placed)            as placed_year_end,
