-- City vs district figures.
-- For each evaluated ratio target (indicator x year), the city figure next to
-- the district figures: how many districts met it, their range, and the plain
-- mean of district rates, shown only to contrast with the city figure, which
-- is sum(numerators) / sum(denominators) x scale and never that mean.
-- districts_evaluated and districts_met are NULL, not 0, where no district could be
-- evaluated (a milestone year, or no district statistics).
-- Needs: district-level statistics for the indicator's metric and year (a city-only
-- statistics file gives districts_with_figure = 0), and a city row (level = 'city').
-- Columns: indicator_id, indicator_name, year, target, city_actual, city_attained,
--          districts, districts_with_figure, districts_evaluated, districts_met,
--          district_min, district_max, mean_of_district_rates.
SELECT c.indicator_id,
       c.indicator_name,
       c.year,
       c.target,
       c.actual AS city_actual,
       c.attained AS city_attained,
       COUNT(*) AS districts,
       COUNT(d.actual) AS districts_with_figure,
       NULLIF(COUNT(d.attained), 0) AS districts_evaluated,
       SUM(CASE WHEN d.attained THEN 1 WHEN NOT d.attained THEN 0 END) AS districts_met,
       MIN(d.actual) AS district_min,
       MAX(d.actual) AS district_max,
       AVG(d.actual) AS mean_of_district_rates
FROM v_attainment c
JOIN v_attainment d
  ON d.indicator_id = c.indicator_id
 AND d.year = c.year
 AND d.level = 'district'
WHERE c.level = 'city'
GROUP BY c.indicator_id, c.indicator_name, c.year, c.target, c.actual, c.attained
ORDER BY c.year, c.indicator_id;
