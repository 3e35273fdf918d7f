-- Latest load per source file.
-- When each plan document and statistics file currently in the warehouse was
-- last loaded with its present content, how many rows it gave, and how many
-- ingest issues it has.
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
    SELECT source_file, 'stats' AS kind, MAX(loaded_at) AS loaded_at, COUNT(*) AS row_count
    FROM fct_district_stat
    GROUP BY source_file
) f
LEFT JOIN (
    SELECT source_file, COUNT(*) AS issues
    FROM ingest_issues
    GROUP BY source_file
) iss ON iss.source_file = f.source_file
ORDER BY f.kind, f.source_file;
