-- Binding (约束性) indicators off target.
-- Evaluations of indicators whose 属性 (attribute) is 约束性 (binding, as
-- opposed to 预期性, expected) that missed their target; the city and each
-- district, most negative gap (furthest from target) first within a year.
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
