-- The admin's appointment search lists every status newest first (AdminSchedulingEndpoints.SearchSql): with this
-- index a page is read from the end of it, instead of sorting the whole table for each page.
CREATE INDEX appointments_time_idx ON scheduling.appointments (starts_at);
