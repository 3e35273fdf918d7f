-- The district version in force on 31 December of a year: the one rule for the
-- attainment build, v_attainment and the attainment suite's expected keys
-- (extractors.records.District.valid_in_year is the same rule in Python).
-- {district}: the dim_district alias; {year}: the year expression.
{district}.valid_from <= make_date({year}, 12, 31)
AND ({district}.valid_to IS NULL OR {district}.valid_to >= make_date({year}, 12, 31))
