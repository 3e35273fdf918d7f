"""The warehouse: schema, migrations, loads, the attainment build (sql/), queries."""
