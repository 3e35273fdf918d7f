-- Indicators missed two years running.
-- An indicator (one row of one plan) whose target a district or the city
-- missed in two consecutive years; one row per pair of years.
-- Needs: evaluated targets (numeric target and statistics) in consecutive years;
-- a year without statistics breaks the run, and milestones are never "missed".
-- Columns: indicator_id, indicator_name, district_code, district_name,
--          first_year, second_year, first_actual, second_actual, second_target.
SELECT cur.indicator_id,
       cur.indicator_name,
       cur.district_code,
       cur.district_name,
       prev.year AS first_year,
       cur.year AS second_year,
       prev.actual AS first_actual,
       cur.actual AS second_actual,
       cur.target AS second_target
FROM v_attainment cur
JOIN v_attainment prev
  ON prev.indicator_id = cur.indicator_id
 AND prev.district_code = cur.district_code
 AND prev.year = cur.year - 1
WHERE cur.attained = FALSE
  AND prev.attained = FALSE
ORDER BY cur.year, cur.indicator_id, cur.district_code;
