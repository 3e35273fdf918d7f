-- Binding (约束性) indicators off target.
-- Evaluations of indicators whose 属性 (attribute) is 约束性 (binding, as
-- opposed to 预期性, expected) that missed their target; the city and each
-- district, most negative gap (furthest from target) first within a year.
-- Needs: a 属性 column in the plan's indicator tables (its cells 约束性 or 预期性,
-- stored as dim_indicator.binding). A plan without that column has no binding
-- indicators, so this query returns no rows for it: check
--   SELECT COUNT(*) FROM dim_indicator WHERE binding IS NOT NULL
-- before reading an empty answer as "every binding target met".
-- Columns: plan_title, indicator_id, indicator_name, year, district_code, district_name,
--          level, target, actual, gap.
SELECT plan_title,
       indicator_id,
       indicator_name,
       year,
       district_code,
       district_name,
       level,
       target,
       actual,
       gap
FROM v_attainment
WHERE binding = '约束性'
  AND attained = FALSE
ORDER BY year, gap, district_code;
