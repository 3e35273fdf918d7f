-- Targets with no statistics.
-- 全市 (whole-city) targets that no statistic could check in their year:
-- neither the city nor any district has an actual figure. The reason says
-- whether the indicator is unmapped, maps to an unknown metric, or simply
-- lacks statistics for that year.
-- Needs: targets with scope 全市 (the whole city); targets for 城市/农村 (urban/rural)
-- or other scopes are not checked against statistics and are not listed here.
-- Columns: plan_title, indicator_id, indicator_name, year, comparator, target_text,
--          metric_code, reason.
SELECT p.title AS plan_title,
       i.indicator_id,
       i.indicator_name,
       t.year,
       t.comparator,
       t.target_text,
       i.metric_code,
       CASE
           WHEN i.metric_code IS NULL THEN 'indicator not mapped to a metric'
           WHEN m.metric_code IS NULL THEN 'metric not in dim_metric'
           ELSE 'no statistics'
       END AS reason
FROM fct_target t
JOIN dim_indicator i ON i.indicator_id = t.indicator_id
JOIN dim_plan p ON p.plan_id = t.plan_id
LEFT JOIN dim_metric m ON m.metric_code = i.metric_code
WHERE t.scope = '全市'
  AND p.duplicate_of IS NULL  -- each plan once (not its identical PDF rendering)
  AND NOT EXISTS (
      SELECT 1
      FROM fct_attainment a
      WHERE a.indicator_id = t.indicator_id
        AND a.year = t.year
        AND a.actual_value IS NOT NULL
  )
ORDER BY t.year, i.indicator_id;
