-- fct_attainment's rows of relative targets (fct_target.relative_kind: 翻一番, 增长10%,
-- 提高5个百分点, 年均增长7%...): each resolved to the level it asks of each district and
-- the city from its actual in base_year, and judged on that level. Rules: docs/warehouse.md,
-- "Relative targets". The actuals come from fct_attainment.sql's CTEs ({actuals_ctes}:
-- metric_years to actuals, the same rules), here over the (metric, year) pairs of the
-- relative targets' years and base years. Placeholders, filled by warehouse/attainment.py:
-- {target_metric} (target_metric.sql), {plan_filter}, {actuals_ctes}, {district_in_force_now} and
-- {district_in_force_base} (district_in_force.sql), {attained_resolved} and
-- {gap_resolved} (attained.sql and gap.sql on the one alias t).
WITH relative_in AS (  -- relative 全市 targets of indicators mapped to a known metric
    SELECT ft.indicator_id, ft.year, ft.comparator, ft.target_value, ft.target_value_high,
           ft.relative_kind, ft.relative_value, ft.base_year, i.direction,
           {target_metric}
    WHERE ft.scope = '全市' AND ft.relative_kind IS NOT NULL{plan_filter}
),
evaluated_targets AS (  -- the (metric, year) pairs actuals are needed for: targets' and base years
    SELECT metric_code, year, aggregation, numerator, denominator, scale FROM relative_in
    UNION ALL
    SELECT metric_code, base_year, aggregation, numerator, denominator, scale
    FROM relative_in WHERE base_year BETWEEN 1900 AND 2100
),
{actuals_ctes},
relative_bases AS (  -- relative targets: each district's actual now and in base_year
    SELECT t.indicator_id, a.district_code, t.year, a.level, t.comparator AS level_comparator,
           t.target_value AS level_value, t.target_value_high AS level_value_high,
           t.relative_kind, t.relative_value, t.base_year, t.tolerance, a.actual_value,
           CASE WHEN bv.valid_from = dv.valid_from THEN b.actual_value END AS base_value,
           CASE WHEN t.direction = 'down'
                  OR (t.relative_kind = 'multiple' AND t.relative_value < 1)
                  OR (t.relative_kind <> 'multiple' AND t.relative_value < 0)
                THEN '<=' ELSE '>=' END AS relative_comparator,
           CASE
               WHEN t.base_year IS NULL OR t.base_year >= t.year
                   THEN 'base year ' || COALESCE(CAST(t.base_year AS VARCHAR), 'unknown')
                        || ' is not before the target year'
               WHEN bv.district_code IS NULL
                   THEN 'district ' || a.district_code || ' was not in force in '
                        || CAST(t.base_year AS VARCHAR) || ' (base year): no base figure'
               WHEN bv.valid_from <> dv.valid_from
                   THEN 'district ' || a.district_code || ' changed between '
                        || CAST(t.base_year AS VARCHAR) || ' and ' || CAST(t.year AS VARCHAR)
                        || ': no comparable base figure'
               WHEN b.actual_value IS NULL
                   THEN 'no base figure in ' || CAST(t.base_year AS VARCHAR)
               WHEN b.actual_value <= 0 AND t.relative_kind <> 'points'
                   THEN 'base figure in ' || CAST(t.base_year AS VARCHAR)
                        || ' is not positive: a relative change of it asks for no level'
           END AS base_note
    FROM actuals a
    JOIN relative_in t ON t.metric_code = a.metric_code AND t.year = a.year
    JOIN dim_district dv ON dv.district_code = a.district_code AND {district_in_force_now}
    LEFT JOIN dim_district bv ON bv.district_code = a.district_code
                             AND {district_in_force_base}
    LEFT JOIN actuals b ON b.metric_code = a.metric_code AND b.district_code = a.district_code
                       AND b.year = t.base_year
),
relative_targets AS (  -- the level a relative target asks of each district in its year
    SELECT r.*,
           CASE WHEN r.base_note IS NULL THEN r.relative_comparator END AS comparator,
           CASE WHEN r.base_note IS NULL THEN
               CASE r.relative_kind
                   WHEN 'multiple' THEN r.base_value * r.relative_value
                   WHEN 'percent' THEN r.base_value * (1 + r.relative_value / 100)
                   WHEN 'points' THEN r.base_value + r.relative_value
                   WHEN 'annual_rate'
                       THEN r.base_value * POWER(1 + r.relative_value / 100, r.year - r.base_year)
               END
           END AS target_value,
           CAST(NULL AS DOUBLE PRECISION) AS target_value_high,
           COALESCE(r.base_note, CASE WHEN r.actual_value IS NULL
                                      THEN 'no actual in ' || CAST(r.year AS VARCHAR) END) AS note
    FROM relative_bases r
)
SELECT t.indicator_id, t.district_code, t.year, t.level, t.level_comparator AS comparator,
       t.level_value AS target_value, t.level_value_high AS target_value_high, t.actual_value,
       
{attained_resolved} AS attained,
       
{gap_resolved} AS gap,
       t.target_value AS target_resolved, t.comparator AS resolved_comparator, t.base_value,
       t.note
FROM relative_targets t
