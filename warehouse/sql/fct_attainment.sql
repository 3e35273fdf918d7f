-- fct_attainment, one row per (indicator, district or city, year): which district
-- and the city met which 全市 target. The rules are in warehouse/attainment.py and
-- docs/warehouse.md. Placeholders, filled by warehouse/attainment.py: {target_metric}
-- (target_metric.sql),
-- {district_in_force} (warehouse/sql/district_in_force.sql), {plan_filter} (empty, or
-- the plans whose rows are rebuilt), {attained} and {gap} (attained.sql, gap.sql),
-- {stat_rows} (the statistics evaluated: the current figures of fct_district_stat, or
-- those current at an as-of moment; docs/time.md), {sum_num}, {sum_den} and {sum_own}
-- (warehouse.sql.exact_sum of num_value, den_value and o.value: sums that do not depend
-- on the order of the rows).
-- Level targets only (their rows leave the relative columns of fct_attainment NULL): a
-- relative target (fct_target.relative_kind) is judged on the level it asks of each
-- district by fct_attainment_relative.sql, which reuses these CTEs.
--
-- Shaped for one big join, like a hand-written num/den join: statistics are paired per
-- metric (not per target), the district grid is completed only where a (metric, year)
-- misses districts, and the city's sums come from small GROUP BYs. Every output key is
-- unique by construction: fct_target is keyed (indicator, year, scope), dim_metric by
-- code, the statistics evaluated by (metric, district, year), and district versions in force on
-- one date do not overlap (checked before the build: OVERLAPPING_VERSIONS_SQL).
WITH evaluated_targets AS (  -- evaluated targets: 全市 scope, indicator mapped to a known metric
    SELECT ft.indicator_id, ft.year, ft.comparator, ft.target_value, ft.target_value_high,
           {target_metric}
    WHERE ft.scope = '全市' AND ft.relative_kind IS NULL{plan_filter}
),
metric_years AS (  -- evaluated metric x year (several targets may share one)
    SELECT DISTINCT metric_code, year, aggregation, numerator, denominator, scale FROM evaluated_targets t
),
district_versions AS (  -- district versions in force on 31 December of each target year
    SELECT y.year, d.district_code, d.district_type = 'city' AS is_city
    FROM (SELECT DISTINCT year FROM evaluated_targets t) y
    JOIN dim_district d ON {district_in_force}
),
district_counts AS (  -- how many districts (the city aside) are valid in each year, maybe none
    SELECT year, COUNT(CASE WHEN NOT is_city THEN 1 END) AS n FROM district_versions dv GROUP BY year
),
own_figures AS (  -- each evaluated metric's own figures
    SELECT p.metric_code, p.aggregation, s.district_code, s.year, s.value
    FROM {stat_rows} s
    JOIN metric_years p ON s.metric_code = p.metric_code AND s.year = p.year
),
ratio_parts AS (  -- ratio metrics: own figure and/or numerator with denominator, per valid version
    SELECT v.metric_code, v.district_code, v.year, v.own_value, v.num_value, v.den_value,
           dv.is_city
    FROM (
        SELECT COALESCE(o.metric_code, x.metric_code) AS metric_code,
               COALESCE(o.district_code, x.district_code) AS district_code,
               COALESCE(o.year, x.year) AS year,
               o.value AS own_value, x.num_value, x.den_value
        FROM (
            SELECT p.metric_code, n.district_code, n.year,
                   n.value AS num_value, d.value AS den_value
            FROM metric_years p
            JOIN {stat_rows} n ON n.metric_code = p.numerator AND n.year = p.year
            JOIN {stat_rows} d ON d.metric_code = p.denominator AND d.year = p.year
                                    AND d.district_code = n.district_code
            WHERE p.aggregation = 'ratio'
        ) x
        FULL JOIN (SELECT * FROM own_figures WHERE aggregation = 'ratio') o
          ON o.metric_code = x.metric_code AND o.district_code = x.district_code
         AND o.year = x.year
    ) v
    JOIN district_versions dv ON dv.district_code = v.district_code AND dv.year = v.year
),
ratio_sums AS (  -- ratio metrics, districts only: rows present, complete pairs, sums
    -- (exact sums, whatever the order of the rows: a parallel sum of doubles in any order
    -- differs in the last digit from run to run, and a re-run must give the same rows;
    -- warehouse.sql.exact_sum)
    SELECT metric_code, year, COUNT(*) AS n_rows, COUNT(num_value) AS n_pairs,
           {sum_num} AS sum_num,
           {sum_den} AS sum_den
    FROM ratio_parts pr WHERE NOT is_city
    GROUP BY metric_code, year
),
sum_totals AS (  -- sum metrics, districts only: values present and their sum
    SELECT o.metric_code, o.year, COUNT(*) AS n_own, {sum_own} AS sum_own
    FROM own_figures o
    JOIN district_versions dv ON dv.district_code = o.district_code AND dv.year = o.year AND NOT dv.is_city
    WHERE o.aggregation <> 'ratio'
    GROUP BY o.metric_code, o.year
),
city_figures AS (  -- the city's own statistics: its figure, or its own numerator / denominator
    SELECT metric_code, year, district_code, own_value,
           num_value / NULLIF(den_value, 0) AS ratio
    FROM ratio_parts pr WHERE is_city
    UNION ALL
    SELECT o.metric_code, o.year, o.district_code, o.value, NULL
    FROM own_figures o
    JOIN district_versions dv ON dv.district_code = o.district_code AND dv.year = o.year AND dv.is_city
    WHERE o.aggregation <> 'ratio'
),
actuals AS (
    -- districts with figures (ratio metrics): their own figure, else num / den x scale
    SELECT pr.metric_code, pr.year, pr.district_code, 'district' AS level,
           COALESCE(pr.own_value, pr.num_value / NULLIF(pr.den_value, 0) * p.scale)
               AS actual_value
    FROM ratio_parts pr
    JOIN metric_years p ON p.metric_code = pr.metric_code AND p.year = pr.year
    WHERE NOT pr.is_city
    UNION ALL
    -- districts without figures, looked for only where a (metric, year) misses some
    SELECT p.metric_code, p.year, dv.district_code, 'district', NULL
    FROM metric_years p
    JOIN district_counts nd ON nd.year = p.year
    LEFT JOIN ratio_sums pa ON pa.metric_code = p.metric_code AND pa.year = p.year
    JOIN district_versions dv ON dv.year = p.year AND NOT dv.is_city
    LEFT JOIN ratio_parts pr ON pr.metric_code = p.metric_code AND pr.year = p.year
                AND pr.district_code = dv.district_code
    WHERE p.aggregation = 'ratio' AND COALESCE(pa.n_rows, 0) < nd.n
      AND pr.district_code IS NULL  -- an anti-join (NOT EXISTS plans worse on DuckDB)
    UNION ALL
    -- the city: its own figure, else its own num / den, else the districts' sums
    -- (only when every district valid in the year has them; never an average of rates)
    SELECT p.metric_code, p.year, dv.district_code, 'city',
           CASE WHEN p.aggregation = 'ratio'
                THEN COALESCE(cv.own_value, cv.ratio * p.scale,
                              CASE WHEN pa.n_pairs = nd.n
                                   THEN pa.sum_num / NULLIF(pa.sum_den, 0) * p.scale END)
                ELSE COALESCE(cv.own_value, CASE WHEN sa.n_own = nd.n THEN sa.sum_own END)
           END
    FROM metric_years p
    JOIN district_versions dv ON dv.year = p.year AND dv.is_city
    JOIN district_counts nd ON nd.year = p.year
    LEFT JOIN ratio_sums pa ON pa.metric_code = p.metric_code AND pa.year = p.year
    LEFT JOIN sum_totals sa ON sa.metric_code = p.metric_code AND sa.year = p.year
    LEFT JOIN city_figures cv ON cv.metric_code = p.metric_code AND cv.year = p.year
                AND cv.district_code = dv.district_code
)
SELECT t.indicator_id, a.district_code, t.year, a.level, t.comparator, t.target_value,
       t.target_value_high, a.actual_value,
       
{attained} AS attained,
       
{gap} AS gap
FROM actuals a
JOIN evaluated_targets t ON t.metric_code = a.metric_code AND t.year = a.year
