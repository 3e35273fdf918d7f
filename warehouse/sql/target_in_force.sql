-- The target in force for a year: the fct_target row whose validity (decision time,
-- set by plan revisions: warehouse/revisions.py) holds 31 December of its year, the
-- same day the district rule uses. One rule for v_attainment, v_attainment_versions and
-- the oracle test. {target}: the fct_target alias; {year}: the year expression.
({target}.valid_from IS NULL OR {target}.valid_from <= make_date({year}, 12, 31))
AND ({target}.valid_to IS NULL OR {target}.valid_to >= make_date({year}, 12, 31))
