-- Verdicts that changed between two moments, and why.
-- Every indicator x district x year whose attained verdict differs between the
-- attainment evaluated as of :earlier and as of :later (fct_attainment_as_of), with
-- each statistic it reads (the metric, its numerator or denominator; for the city, any
-- district's) whose current figure differs between the two moments: old and new value,
-- the vintage (stat_vintage) and file each came from, and its publication date. A
-- verdict that changed while no figure did (a plan, mapping or district reloaded
-- between the two builds) has one row with figure_change 'none'.
-- Needs: both moments built: `planwh run --as-of A` and `planwh run --as-of B`;
-- Parameters: :earlier and :later, the as_of values those runs printed (a date D is
-- stored as D 23:59:59.999999, UTC).
-- Columns: indicator_id, indicator_name, district_code, level, year, attained_before,
--          attained_after, actual_before, actual_after, figure_change (revised, added,
--          withdrawn, none), metric_code, figure_district, value_before, value_after,
--          vintage_before, vintage_after, file_before, file_after, published_before,
--          published_after.
WITH a AS (SELECT * FROM fct_attainment_as_of WHERE as_of = :earlier),
b AS (SELECT * FROM fct_attainment_as_of WHERE as_of = :later),
verdicts AS (  -- verdicts that differ (NULL: not evaluable, also a verdict)
    SELECT COALESCE(a.indicator_id, b.indicator_id) AS indicator_id,
           COALESCE(a.district_code, b.district_code) AS district_code,
           COALESCE(a.level, b.level) AS level,
           COALESCE(a.year, b.year) AS year,
           a.attained AS attained_before, b.attained AS attained_after,
           a.actual_value AS actual_before, b.actual_value AS actual_after
    FROM a
    FULL JOIN b ON b.indicator_id = a.indicator_id AND b.district_code = a.district_code
               AND b.year = a.year
    WHERE NOT (a.attained = b.attained OR (a.attained IS NULL AND b.attained IS NULL))
),
parts AS (  -- the statistics each indicator's verdict reads
    SELECT i.indicator_id, m.metric_code AS part
    FROM dim_indicator i JOIN dim_metric m ON m.metric_code = i.metric_code
    UNION SELECT i.indicator_id, m.numerator
    FROM dim_indicator i JOIN dim_metric m ON m.metric_code = i.metric_code
    WHERE m.numerator IS NOT NULL
    UNION SELECT i.indicator_id, m.denominator
    FROM dim_indicator i JOIN dim_metric m ON m.metric_code = i.metric_code
    WHERE m.denominator IS NOT NULL
),
x AS (  -- the figures current at :earlier
    SELECT * FROM fct_district_stat
    WHERE valid_from <= :earlier AND (valid_to IS NULL OR valid_to > :earlier)
),
y AS (  -- the figures current at :later
    SELECT * FROM fct_district_stat
    WHERE valid_from <= :later AND (valid_to IS NULL OR valid_to > :later)
),
figures AS (  -- figures whose current version differs between the two moments
    SELECT COALESCE(x.metric_code, y.metric_code) AS metric_code,
           COALESCE(x.district_code, y.district_code) AS district_code,
           COALESCE(x.year, y.year) AS year,
           CASE WHEN x.metric_code IS NULL THEN 'added'
                WHEN y.metric_code IS NULL THEN 'withdrawn'
                ELSE 'revised' END AS figure_change,
           x.value AS value_before, y.value AS value_after,
           x.vintage_id AS vintage_before, y.vintage_id AS vintage_after
    FROM x
    FULL JOIN y ON y.metric_code = x.metric_code AND y.district_code = x.district_code
               AND y.year = x.year
    WHERE x.metric_code IS NULL OR y.metric_code IS NULL OR x.valid_from <> y.valid_from
),
why AS (
    SELECT v.indicator_id, v.district_code, v.year, f.figure_change, f.metric_code,
           f.district_code AS figure_district, f.value_before, f.value_after,
           f.vintage_before, f.vintage_after
    FROM verdicts v
    JOIN parts p ON p.indicator_id = v.indicator_id
    JOIN figures f ON f.metric_code = p.part AND f.year = v.year
                  AND (f.district_code = v.district_code OR v.level = 'city')
)
SELECT v.indicator_id,
       i.indicator_name,
       v.district_code,
       v.level,
       v.year,
       v.attained_before,
       v.attained_after,
       v.actual_before,
       v.actual_after,
       COALESCE(w.figure_change, 'none') AS figure_change,
       w.metric_code,
       w.figure_district,
       w.value_before,
       w.value_after,
       w.vintage_before,
       w.vintage_after,
       vb.source_file AS file_before,
       va.source_file AS file_after,
       vb.published_on AS published_before,
       va.published_on AS published_after
FROM verdicts v
JOIN dim_indicator i ON i.indicator_id = v.indicator_id
LEFT JOIN why w ON w.indicator_id = v.indicator_id AND w.district_code = v.district_code
               AND w.year = v.year
LEFT JOIN stat_vintage vb ON vb.vintage_id = w.vintage_before
LEFT JOIN stat_vintage va ON va.vintage_id = w.vintage_after
ORDER BY v.year, v.indicator_id, v.district_code, w.metric_code, w.figure_district;
