-- Latest load per source file.
-- When each plan document and statistics file currently in the warehouse was
-- last loaded with its present content (a statistics file: its latest vintage),
-- how many rows it gave (its current figures), and how many ingest issues it has.
-- Needs: nothing beyond a load; a file held back whole keeps its previous load
-- (and its issues say why).
-- Columns: source_file, kind ('plan' or 'stats'), loaded_at (UTC), row_count, issues.
SELECT f.source_file,
       f.kind,
       f.loaded_at,
       f.row_count,
       COALESCE(iss.issues, 0) AS issues
FROM (
    SELECT source_file, 'plan' AS kind, loaded_at, record_count AS row_count
    FROM dim_plan
    UNION ALL
    -- a statistics file: its latest vintage, and its current figures
    SELECT c.source_file, 'stats' AS kind, v.loaded_at, c.row_count
    FROM (SELECT source_file, COUNT(*) AS row_count FROM fct_district_stat
          WHERE valid_to IS NULL GROUP BY source_file) c
    JOIN (SELECT source_file, MAX(loaded_at) AS loaded_at FROM stat_vintage
          GROUP BY source_file) v ON v.source_file = c.source_file
) f
LEFT JOIN (
    SELECT source_file, COUNT(*) AS issues
    FROM ingest_issues
    GROUP BY source_file
) iss ON iss.source_file = f.source_file
ORDER BY f.kind, f.source_file;
