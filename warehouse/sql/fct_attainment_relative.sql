-- fct_attainment's rows of relative targets (fct_target.relative_kind: 翻一番, 增长10%,
-- 提高5个百分点, 年均增长7%...): the CTEs of fct_attainment.sql (their evaluated_targets
-- the relative targets only, their metric_years with the base years) continued by the
-- two below, which resolve each target to the level it asks of each district and the
-- city from its actual in base_year, and judge it on that level. Rules:
-- docs/warehouse.md, "Relative targets". Placeholders: {attained_resolved} and
-- {gap_resolved} (attained.sql and gap.sql on alias t alone).
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
    JOIN evaluated_targets t ON t.metric_code = a.metric_code AND t.year = a.year
                            AND t.relative_kind IS NOT NULL
    JOIN district_versions dv ON dv.district_code = a.district_code AND dv.year = a.year
    LEFT JOIN district_versions bv ON bv.district_code = a.district_code AND bv.year = t.base_year
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
SELECT t.indicator_id, t.district_code, t.year, t.level, t.level_comparator, t.level_value,
       t.level_value_high, t.actual_value,
       
{attained_resolved} AS attained,
       
{gap_resolved} AS gap,
       t.target_value, t.comparator, t.base_value, t.note
FROM relative_targets t
