-- Districts behind schedule by two years or more.
-- For each indicator with yearly targets, the district (or the city) whose actual in a
-- year meets only the target of a plan year at least two years earlier
-- (schedule_position <= -2: "2019 actual meets the 2017 target"), or meets no plan-year
-- target at all although the plan set one at least two years before (schedule_position
-- NULL). Most years behind first. From v_progress (each plan once).
-- Needs: indicators with a target in each plan year, mapped to a metric, and statistics
-- for those years; a plan with end-year targets only gives no rows.
-- Columns: plan_title, indicator_id, indicator_name, district_code, district_name, level,
--          year, actual, schedule_year, schedule_position, rung_reached, schedule_note, status.
SELECT plan_title,
       indicator_id,
       indicator_name,
       district_code,
       district_name,
       level,
       year,
       actual,
       schedule_year,
       schedule_position,
       rung_reached,
       schedule_note,
       status
FROM v_progress
WHERE actual IS NOT NULL
  AND (schedule_position <= -2
       OR (schedule_position IS NULL
           AND POSITION('meets no plan-year target' IN schedule_note) > 0
           AND year - baseline_year >= 3))
ORDER BY COALESCE(schedule_position, -99), year, district_code, indicator_id;
