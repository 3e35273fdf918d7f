-- Binding (约束性) indicators anticipated to miss their end-year target.
-- For each binding indicator, district (and the city), the latest year with an actual:
-- the end-year value projected by the time-weighted linear fit (anticipated, ESCAP's
-- Anticipated Progress Index; needs three points or more) does not meet the end-year
-- target. Furthest projected shortfall first. From v_progress (each plan once).
-- Needs: a 属性 column in the plan's indicator tables (约束性 = binding), an indicator
-- mapped to a metric, and statistics in three years or more; none of these: no rows.
-- Columns: plan_title, indicator_id, indicator_name, binding, district_code,
--          district_name, level, year, actual, end_year, end_target, anticipated,
--          anticipated_meets, status.
SELECT v.plan_title,
       v.indicator_id,
       v.indicator_name,
       v.binding,
       v.district_code,
       v.district_name,
       v.level,
       v.year,
       v.actual,
       v.end_year,
       v.end_target,
       v.anticipated,
       v.anticipated_meets,
       v.status
FROM v_progress v
JOIN (SELECT indicator_id, district_code, MAX(year) AS year
      FROM v_progress
      WHERE anticipated IS NOT NULL
      GROUP BY indicator_id, district_code) latest
  ON latest.indicator_id = v.indicator_id
 AND latest.district_code = v.district_code
 AND latest.year = v.year
WHERE v.binding = '约束性'
  AND v.anticipated_meets = FALSE
ORDER BY ABS(v.anticipated - v.end_target) DESC, v.indicator_id, v.district_code;
