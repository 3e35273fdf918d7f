-- target_metric: the end of a 全市 (whole-city) target's select list, its metric's
-- columns, and the FROM clause joining the target (ft) to its indicator (i) and known
-- metric (m): shared by fct_attainment.sql and fct_attainment_relative.sql, each with
-- its own WHERE. {default_tolerance}: warehouse/attainment.py.
m.metric_code, m.aggregation, m.numerator, m.denominator,
           COALESCE(m.scale, 1.0) AS scale,
           COALESCE(m.tolerance, {default_tolerance}) AS tolerance
    FROM fct_target ft
    JOIN dim_indicator i ON i.indicator_id = ft.indicator_id
    JOIN dim_metric m ON m.metric_code = i.metric_code
