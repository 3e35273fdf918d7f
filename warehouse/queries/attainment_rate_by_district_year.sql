-- Attainment rate by district and year.
-- Of the targets a district (or the city, level = 'city') could be evaluated
-- against in a year, how many did it meet? Milestones and targets without
-- statistics (attained NULL) are not counted.
-- Needs: numeric targets and statistics for their years; a district or year with
-- nothing evaluable has no row (never a rate of 0).
-- Columns: district_code, district_name, level, year, evaluated, met, attainment_rate (0..1).
SELECT district_code,
       MAX(district_name) AS district_name,
       MAX(level) AS level,
       year,
       COUNT(*) AS evaluated,
       SUM(CASE WHEN attained THEN 1 ELSE 0 END) AS met,
       CAST(SUM(CASE WHEN attained THEN 1 ELSE 0 END) AS DOUBLE PRECISION) / COUNT(*)
           AS attainment_rate
FROM v_attainment
WHERE attained IS NOT NULL
GROUP BY district_code, year
ORDER BY year, district_code;
